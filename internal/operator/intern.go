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

package operator

import (
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	identityv1alpha1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// The manager's cache holds every ScimUser and ScimGroup, decoded from JSON
// with each string its own copy: the namespace, the IdentityConfig's name,
// label and annotation keys, the finalizer, condition types and reasons,
// email types, locales, group ids (one per membership) are the same few
// values over and over, and a user's userName, email, status email and
// write-ahead annotation are usually one value four times. shrink makes the
// repeated ones share one copy before the object enters the cache. The
// objects stay equal to what the API server sent (a test checks it); only
// their memory changes. Only strings are shared, which Go never lets anyone
// modify: a pointer (the *bool fields) shared between objects would let one
// careless write to a cached object change them all. The one exception is
// the labels map: every ScimUser of an IdentityConfig carries the same
// labels (the identity-config label the SCIM endpoint sets), and a map of
// its own cost each user 330 bytes. Objects with equal labels share one
// map; nothing writes the labels of a cached object (writers work on
// copies: client.Get and DeepCopy copy the map), and a test checks that the
// shared maps stay equal to what the API server sent.

// internMaxLen is the longest string worth interning: longer ones are
// rarely repeated across objects.
const internMaxLen = 128

// internMaxEntries bounds the interning table: past it, new values are
// simply not interned (the table never grows with the number of users, only
// with the number of distinct low-cardinality values).
const internMaxEntries = 1 << 16

// internMaxMaps bounds the table of shared label maps, as internMaxEntries
// does the strings.
const internMaxMaps = 1 << 12

// interner keeps one copy of each repeated string, and of each repeated
// labels map.
type interner struct {
	mu     sync.Mutex
	values map[string]string
	maps   map[string]map[string]string
}

func newInterner() *interner {
	return &interner{values: map[string]string{}, maps: map[string]map[string]string{}}
}

// sharedMap returns the shared map equal to m, made (with interned keys and
// values) on first sight and kept while the table has room; a map of m's
// own when a key or value is too long to be worth sharing.
func (in *interner) sharedMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if len(k) > internMaxLen || len(v) > internMaxLen {
			return in.internMap(m, in.intern)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var id strings.Builder
	for _, k := range keys {
		// NUL separates: label keys and values never hold it.
		id.WriteString(k)
		id.WriteByte(0)
		id.WriteString(m[k])
		id.WriteByte(0)
	}
	in.mu.Lock()
	shared, ok := in.maps[id.String()]
	in.mu.Unlock()
	if ok {
		return shared
	}
	shared = in.internMap(m, in.intern)
	in.mu.Lock()
	defer in.mu.Unlock()
	if prev, ok := in.maps[id.String()]; ok {
		return prev
	}
	if len(in.maps) < internMaxMaps {
		in.maps[id.String()] = shared
	}
	return shared
}

// intern returns the shared copy of s, adding s when there is room.
func (in *interner) intern(s string) string {
	if s == "" || len(s) > internMaxLen {
		return s
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.values[s]; ok {
		return v
	}
	if len(in.values) < internMaxEntries {
		in.values[s] = s
	}
	return s
}

func (in *interner) internAll(ss []string) {
	for i := range ss {
		ss[i] = in.intern(ss[i])
	}
}

// internMap rebuilds m with interned keys and each value passed through value.
func (in *interner) internMap(m map[string]string, value func(string) string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[in.intern(k)] = value(v)
	}
	return out
}

// local makes equal strings within one object share the first one's copy.
type local map[string]string

func (l local) share(s *string) {
	*s = l.shared(*s)
}

// shared returns the object's first copy of s.
func (l local) shared(s string) string {
	if s == "" {
		return s
	}
	if v, ok := l[s]; ok {
		return v
	}
	l[s] = s
	return s
}

func (in *interner) meta(m *metav1.ObjectMeta, l local) {
	m.Namespace = in.intern(m.Namespace)
	m.Labels = in.sharedMap(m.Labels)
	m.Annotations = in.internMap(m.Annotations, l.shared)
	in.internAll(m.Finalizers)
}

func (in *interner) conditions(cs []metav1.Condition) {
	for i := range cs {
		c := &cs[i]
		c.Type = in.intern(c.Type)
		c.Status = metav1.ConditionStatus(in.intern(string(c.Status)))
		c.Reason = in.intern(c.Reason)
	}
}

func (in *interner) multiValues(vs []identityv1alpha1.ScimMultiValue, l local) {
	for i := range vs {
		v := &vs[i]
		v.Type = in.intern(v.Type)
		l.share(&v.Value)
	}
}

func (in *interner) user(u *identityv1alpha1.ScimUser) {
	l := local{}
	s := &u.Spec
	// The userName first: the email, status email and annotation that
	// repeat it share its copy.
	l.share(&s.UserName)
	s.IdentityConfigRef.Name = in.intern(s.IdentityConfigRef.Name)
	s.UserType = in.intern(s.UserType)
	s.PreferredLanguage = in.intern(s.PreferredLanguage)
	s.Locale = in.intern(s.Locale)
	s.Timezone = in.intern(s.Timezone)
	s.Title = in.intern(s.Title)
	if s.Name != nil {
		l.share(&s.Name.Formatted)
	}
	l.share(&s.DisplayName)
	for _, vs := range [][]identityv1alpha1.ScimMultiValue{s.Emails, s.PhoneNumbers, s.IMs, s.Photos, s.Entitlements, s.Roles, s.X509Certificates} {
		in.multiValues(vs, l)
	}
	for i := range s.Addresses {
		a := &s.Addresses[i]
		a.Type = in.intern(a.Type)
		a.Country = in.intern(a.Country)
		a.Region = in.intern(a.Region)
		a.Locality = in.intern(a.Locality)
	}
	in.internAll(s.Groups)
	if e := s.Enterprise; e != nil {
		e.CostCenter = in.intern(e.CostCenter)
		e.Organization = in.intern(e.Organization)
		e.Division = in.intern(e.Division)
		e.Department = in.intern(e.Department)
	}
	st := &u.Status
	in.conditions(st.Conditions)
	l.share(&st.Email)
	in.internAll(st.EffectiveAgentPools)
	for i := range st.EffectiveRoles {
		st.EffectiveRoles[i] = identityv1alpha1.LightrunUserRole(in.intern(string(st.EffectiveRoles[i])))
	}
	in.meta(&u.ObjectMeta, l)
}

func (in *interner) group(g *identityv1alpha1.ScimGroup) {
	g.Spec.IdentityConfigRef.Name = in.intern(g.Spec.IdentityConfigRef.Name)
	in.conditions(g.Status.Conditions)
	in.internAll(g.Status.AgentPools)
	in.meta(&g.ObjectMeta, local{})
}

// shrinkTransform strips managedFields from every object (nothing reads
// them from the cache; at 100,000 users they were a third of its memory)
// and makes the repeated strings of ScimUsers and ScimGroups share one copy.
func shrinkTransform() toolscache.TransformFunc {
	strip := cache.TransformStripManagedFields()
	in := newInterner()
	return func(obj any) (any, error) {
		obj, err := strip(obj)
		if err != nil {
			return obj, err
		}
		switch o := obj.(type) {
		case *identityv1alpha1.ScimUser:
			in.user(o)
		case *identityv1alpha1.ScimGroup:
			in.group(o)
		}
		return obj, nil
	}
}
