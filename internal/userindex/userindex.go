/*
Copyright 2026 The lightrun-identity-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package userindex finds ScimUsers by userName, externalId, email and
// group, and lists the users of a tenant, without client-go field indexes. A
// client-go index keeps a set of "namespace/name" keys per indexed value,
// and controller-runtime registers each field twice (per namespace and for
// all namespaces): for values that nearly every user holds alone, that was
// about 1 KiB a user, and the tenant and group indexes cost another 0.35 KiB
// a user. This index keeps one map entry per (tenant, field, value), one per
// user in its tenant's set and one per (user, group) in the group's set, all
// pointing at the user itself, fed by the ScimUser informer's event handlers
// as the SCIM list order is.
package userindex

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

// Field is what a lookup matches.
type Field uint8

const (
	// UserName matches spec.userName, folded (RFC 7643 §4.1.1:
	// caseExact=false).
	UserName Field = iota + 1
	// ExternalID matches spec.externalId, exactly (caseExact).
	ExternalID
	// Email matches every emails[].value, folded. The index keeps no entry
	// for an email equal to the userName (most are): a lookup by Email
	// also returns the users whose userName is the value, and the caller
	// checks the candidates for the email, as it did with the two field
	// indexes this replaces.
	Email
	// Group matches every group id in spec.groups, exactly: the users a
	// group lists as its members (membership is stored on the users).
	Group
)

func (f Field) String() string {
	switch f {
	case UserName:
		return "userName"
	case ExternalID:
		return "externalId"
	case Email:
		return "email"
	case Group:
		return "group"
	}
	return fmt.Sprintf("Field(%d)", uint8(f))
}

// key is one indexed value of one tenant. value shares the user's own
// string whenever folding leaves it unchanged, and tenant is interned, so
// an entry costs the map slot and nothing else.
type key struct {
	tenant string // namespace/identityConfig
	value  string
	field  Field
}

// Index finds the ScimUsers of a tenant by userName, externalId or email.
// It holds the informer's own objects: never modify what it returns.
type Index struct {
	mu sync.RWMutex
	// one holds the keys a single user holds; more the keys two or more
	// users hold (an externalId many users share, a userName held twice
	// for a moment during a rename), which one then does not hold.
	one     map[key]*v1.ScimUser
	more    map[key][]*v1.ScimUser
	tenants map[string]string
	// onePeak and morePeak let the maps give back their buckets after a
	// mass deletion (see package shrink).
	onePeak, morePeak shrink.Peak
	// users holds the users of each tenant by name, members the users of
	// each (tenant, group): see tenants.go.
	users      map[string]*userSet
	members    map[groupKey]*memberSet
	groupsPeak shrink.Peak
	synced     func() bool

	// observers are told of each user change the index has taken in.
	observersMu sync.Mutex
	observers   []func(types.NamespacedName)
}

// New returns an empty index; Watch feeds it.
func New() *Index {
	return &Index{
		one:     map[key]*v1.ScimUser{},
		more:    map[key][]*v1.ScimUser{},
		tenants: map[string]string{},
		users:   map[string]*userSet{},
		members: map[groupKey]*memberSet{},
		synced:  func() bool { return false },
	}
}

var (
	registryMu sync.Mutex
	registry   = map[cache.Informers]*Index{}
)

// For returns the index of the ScimUsers of informers (the manager's
// cache), registering it on the first call: the SCIM store and the
// controllers share one index per cache. Call it before the cache starts,
// so the index is synced when the cache is.
func For(ctx context.Context, informers cache.Informers) (*Index, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if x, ok := registry[informers]; ok {
		return x, nil
	}
	x := New()
	if err := x.Watch(ctx, informers); err != nil {
		return nil, err
	}
	registry[informers] = x
	return x, nil
}

// Watch feeds the index from the ScimUser informer of informers.
func (x *Index) Watch(ctx context.Context, informers cache.Informers) error {
	inf, err := informers.GetInformer(ctx, &v1.ScimUser{})
	if err != nil {
		return fmt.Errorf("getting the ScimUser informer: %w", err)
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			x.Update(nil, user(obj))
			x.observed(user(obj))
		},
		UpdateFunc: func(old, obj any) {
			x.Update(user(old), user(obj))
			x.observed(user(obj))
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			x.Update(user(obj), nil)
			x.observed(user(obj))
		},
	})
	if err != nil {
		return fmt.Errorf("indexing ScimUsers: %w", err)
	}
	x.mu.Lock()
	x.synced = reg.HasSynced
	x.mu.Unlock()
	return nil
}

// Observe has fn called with the namespace and name of every user whose
// change, from the informer, the index has taken in, once it has. fn runs
// in the informer's handler and must not block. A SCIM write waiting for
// the index to hold it (Holds) is woken this way.
func (x *Index) Observe(fn func(types.NamespacedName)) {
	x.observersMu.Lock()
	defer x.observersMu.Unlock()
	x.observers = append(x.observers, fn)
}

func (x *Index) observed(u *v1.ScimUser) {
	if u == nil {
		return
	}
	x.observersMu.Lock()
	observers := x.observers
	x.observersMu.Unlock()
	for _, fn := range observers {
		fn(types.NamespacedName{Namespace: u.Namespace, Name: u.Name})
	}
}

func user(obj any) *v1.ScimUser {
	u, _ := obj.(*v1.ScimUser)
	return u
}

// Synced reports whether the index has seen every ScimUser of the
// informer's initial list; until then lookups must go elsewhere.
func (x *Index) Synced() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.synced()
}

// Update replaces old (nil: none) by obj (nil: deleted) in the index. old
// must be the state the index holds: the informer hands each handler the
// object it handed it last.
func (x *Index) Update(old, obj *v1.ScimUser) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old != nil {
		for _, k := range x.keys(old) {
			x.drop(k, old.Name)
		}
		x.leave(old)
	}
	if obj != nil {
		for _, k := range x.keys(obj) {
			x.put(k, obj)
		}
		x.join(obj)
	}
}

func (x *Index) put(k key, u *v1.ScimUser) {
	if us, ok := x.more[k]; ok {
		if i := slices.IndexFunc(us, func(o *v1.ScimUser) bool { return o.Name == u.Name }); i >= 0 {
			us[i] = u
		} else {
			x.more[k] = append(us, u)
		}
		return
	}
	if o, ok := x.one[k]; ok && o.Name != u.Name {
		x.deleteOne(k)
		x.more[k] = []*v1.ScimUser{o, u}
		x.morePeak.Grew(len(x.more))
		return
	}
	x.one[k] = u
	x.onePeak.Grew(len(x.one))
}

func (x *Index) deleteOne(k key) {
	delete(x.one, k)
	x.one = shrink.Map(x.one, &x.onePeak)
}

func (x *Index) deleteMore(k key) {
	delete(x.more, k)
	x.more = shrink.Map(x.more, &x.morePeak)
}

func (x *Index) drop(k key, name string) {
	if us, ok := x.more[k]; ok {
		us = slices.DeleteFunc(us, func(o *v1.ScimUser) bool { return o.Name == name })
		switch len(us) {
		case 1:
			x.deleteMore(k)
			x.one[k] = us[0]
			x.onePeak.Grew(len(x.one))
		case 0:
			x.deleteMore(k)
		default:
			x.more[k] = us
		}
		return
	}
	if o, ok := x.one[k]; ok && o.Name == name {
		x.deleteOne(k)
	}
}

// keys are the entries u holds, without repeats. Called with mu held.
func (x *Index) keys(u *v1.ScimUser) []key {
	tenant := x.tenant(u.Namespace, u.Spec.IdentityConfigRef.Name)
	out := make([]key, 0, 2+len(u.Spec.Emails))
	userName := folded(u.Spec.UserName)
	if userName != "" {
		out = append(out, key{tenant: tenant, value: userName, field: UserName})
	}
	if u.Spec.ExternalID != "" {
		out = append(out, key{tenant: tenant, value: u.Spec.ExternalID, field: ExternalID})
	}
	for _, e := range u.Spec.Emails {
		k := key{tenant: tenant, value: folded(e.Value), field: Email}
		if k.value != "" && k.value != userName && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// tenantName names a tenant in the index's keys.
func tenantName(namespace, identityConfig string) string {
	return namespace + "/" + identityConfig
}

// tenant interns namespace/identityConfig. Called with mu held for writing.
func (x *Index) tenant(namespace, identityConfig string) string {
	t := tenantName(namespace, identityConfig)
	if shared, ok := x.tenants[t]; ok {
		return shared
	}
	x.tenants[t] = t
	return t
}

// folded is s folded, sharing s's memory when folding leaves it unchanged.
func folded(s string) string {
	if f := fold.String(s); f != s {
		return f
	}
	return s
}

func lookupKey(namespace, identityConfig string, field Field, value string) key {
	if field != ExternalID {
		value = fold.String(value)
	}
	return key{tenant: tenantName(namespace, identityConfig), value: value, field: field}
}

// Lookup returns the users of IdentityConfig identityConfig in namespace
// whose field holds value (for Email: the candidates, see Email), in no
// particular order. They are the informer's own objects, not copies, as a
// client.List with client.UnsafeDisableDeepCopy returned them: callers only
// read them. Users being deleted are included.
func (x *Index) Lookup(namespace, identityConfig string, field Field, value string) []*v1.ScimUser {
	if value == "" {
		return nil
	}
	fields := []Field{field}
	if field == Email {
		fields = []Field{Email, UserName}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if field == Group {
		return x.groupMembers(tenantName(namespace, identityConfig), value)
	}
	var out []*v1.ScimUser
	for _, f := range fields {
		k := lookupKey(namespace, identityConfig, f, value)
		if u, ok := x.one[k]; ok {
			out = append(out, u)
		}
		out = append(out, x.more[k]...)
	}
	return out
}

// Filter answers a lookup without the index, for readers whose index has
// not seen every user yet: it reads the IdentityConfig's users through r
// (FilterTenant) and keeps those Matches accepts. They may be the cache's
// own objects: callers only read them.
func Filter(ctx context.Context, r client.Reader, namespace, identityConfig string, field Field, value string) ([]*v1.ScimUser, error) {
	users, err := FilterTenant(ctx, r, namespace, identityConfig)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(users, func(u *v1.ScimUser) bool { return !Matches(u, field, value) }), nil
}

// Find is Lookup once the index has seen every user, and Filter through r
// until then.
func (x *Index) Find(ctx context.Context, r client.Reader, namespace, identityConfig string, field Field, value string) ([]*v1.ScimUser, error) {
	if x.Synced() {
		return x.Lookup(namespace, identityConfig, field, value), nil
	}
	return Filter(ctx, r, namespace, identityConfig, field, value)
}

// Users is Tenant once the index has seen every user, and FilterTenant
// through r until then.
func (x *Index) Users(ctx context.Context, r client.Reader, namespace, identityConfig string) ([]*v1.ScimUser, error) {
	if x.Synced() {
		return x.Tenant(namespace, identityConfig), nil
	}
	return FilterTenant(ctx, r, namespace, identityConfig)
}

// FilterTenant answers Tenant without the index: it lists the namespace's
// ScimUsers through r and keeps the IdentityConfig's (the cache indexes no
// ScimUser field). With a cache reader they are the cache's own objects
// (client.UnsafeDisableDeepCopy): callers only read them.
func FilterTenant(ctx context.Context, r client.Reader, namespace, identityConfig string) ([]*v1.ScimUser, error) {
	var l v1.ScimUserList
	if err := r.List(ctx, &l, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the ScimUsers of %s/%s: %w", namespace, identityConfig, err)
	}
	var out []*v1.ScimUser
	for i := range l.Items {
		if l.Items[i].Spec.IdentityConfigRef.Name == identityConfig {
			out = append(out, &l.Items[i])
		}
	}
	return out, nil
}

// Matches reports whether a lookup of field for value returns u (for
// Email: whether u is a candidate), for readers that must filter users
// themselves while the index is not synced.
func Matches(u *v1.ScimUser, field Field, value string) bool {
	if value == "" {
		return false
	}
	switch field {
	case UserName:
		return fold.Equal(u.Spec.UserName, value)
	case ExternalID:
		return u.Spec.ExternalID == value
	case Email:
		return fold.Equal(u.Spec.UserName, value) ||
			slices.ContainsFunc(u.Spec.Emails, func(e v1.ScimMultiValue) bool { return fold.Equal(e.Value, value) })
	case Group:
		return slices.Contains(u.Spec.Groups, value)
	}
	return false
}

// Holds reports whether the index holds u at resourceVersion rv or later
// (atLeast compares resourceVersions) under every key u has, in its
// tenant's users and in the members of every group u lists, or, with rv
// empty, holds no live state of u (only a state being deleted, or none): a
// SCIM write waits for this before it answers, so that a lookup right after
// it sees it (a group's members, rendered from the users that list it,
// included). An update replaces a user's old state everywhere at once, so
// the groups u left are left by then too. A later write that changed u's
// keys or groups again makes it false until the waiter gives up.
func (x *Index) Holds(u *v1.ScimUser, rv string, atLeast func(got, want string) bool) bool {
	x.mu.Lock() // keys interns the tenant
	defer x.mu.Unlock()
	if !x.holdsMember(u, rv, atLeast) {
		return false
	}
	for _, k := range x.keys(u) {
		held := x.one[k]
		if held == nil || held.Name != u.Name {
			held = nil
			if i := slices.IndexFunc(x.more[k], func(o *v1.ScimUser) bool { return o.Name == u.Name }); i >= 0 {
				held = x.more[k][i]
			}
		}
		switch {
		case rv == "" && held != nil && held.DeletionTimestamp == nil:
			return false
		case rv != "" && (held == nil || !atLeast(held.ResourceVersion, rv)):
			return false
		}
	}
	return true
}
