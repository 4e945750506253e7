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

package controller_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

const (
	icName   = "idp"
	apiKey   = "test-lightrun-api-key"
	apiKeyOf = "lightrun-api-key"
)

// company is one spec's world: a namespace with an IdentityConfig feeding a
// Lightrun company that an in-process emulator serves.
type company struct {
	ns    string
	name  string
	token string
	emu   *emulator.Emulator
	// portal calls Lightrun the way an admin in Lightrun's portal would, to
	// make drift and to prepare existing users.
	portal *lightrun.Client
}

type companySetup struct {
	emu emulator.Options
	ic  []func(*v1.IdentityConfig)
}

type companyOption func(*companySetup)

func withEmulator(f func(*emulator.Options)) companyOption {
	return func(s *companySetup) { f(&s.emu) }
}

func withConfig(f func(*v1.IdentityConfig)) companyOption {
	return func(s *companySetup) { s.ic = append(s.ic, f) }
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCompany starts an emulator (SSO on, RBAC on) and creates a namespace,
// the two Secrets and an IdentityConfig for it.
func newCompany(opts ...companyOption) *company {
	GinkgoHelper()
	setup := &companySetup{emu: emulator.Options{APIKeys: []string{apiKey}, LoginMethod: emulator.LoginMethodSSO, RBAC: true,
		Answers: answers}}
	for _, o := range opts {
		o(setup)
	}
	emu, err := emulator.Start(setup.emu)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(emu.CheckClean()).To(Succeed(), "requests or answers outside Lightrun's OpenAPI document")
		if answers == emulator.AnswersAlternative {
			Expect(emu.Conformance().Undeclared).To(BeEmpty(),
				"in the alternative mode every answer is one the OpenAPI document declares")
		}
		_ = emu.Close()
	})
	portal, err := lightrun.New(lightrun.Options{BaseURL: emu.URL(), APIKey: apiKey, RateLimit: rate.Inf, MaxAttempts: 1})
	Expect(err).NotTo(HaveOccurred())

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ctrl-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	c := &company{ns: ns.Name, name: icName, token: randomID() + randomID() + randomID(), emu: emu, portal: portal}
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: apiKeyOf, Namespace: c.ns},
		StringData: map[string]string{"apiKey": apiKey},
	})).To(Succeed())
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "scim-token", Namespace: c.ns},
		StringData: map[string]string{"token": c.token},
	})).To(Succeed())
	ic := c.configObject(icName, emu.URL(), emu.CompanyID())
	for _, f := range setup.ic {
		f(ic)
	}
	Expect(k8sClient.Create(ctx, ic)).To(Succeed())
	DeferCleanup(func() {
		// Stops the IdentityConfig from probing a closed emulator; its users
		// are left waiting, like after a real IdentityConfig deletion.
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ic))).To(Succeed())
	})
	return c
}

func (c *company) configObject(name, url, companyID string) *v1.IdentityConfig {
	return &v1.IdentityConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns},
		Spec: v1.IdentityConfigSpec{
			Lightrun: v1.LightrunConnection{
				URL: url, CompanyID: companyID,
				APIKeySecretRef: v1.SecretKeyReference{Name: apiKeyOf, Key: "apiKey"},
			},
			SCIM: v1.ScimEndpointSpec{
				Enabled: true, IdPKind: v1.IdentityProviderOkta,
				BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: "scim-token", Key: "token"},
			},
			DeprovisionPolicy: v1.DeprovisionDisable,
			DefaultRoles:      []v1.LightrunUserRole{v1.RoleDeveloper},
			ResyncPeriod:      &metav1.Duration{Duration: time.Hour},
		},
	}
}

func (c *company) config() *v1.IdentityConfig {
	GinkgoHelper()
	ic := &v1.IdentityConfig{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: c.ns, Name: c.name}, ic)).To(Succeed())
	return ic
}

// createAttempts is the IdentityConfig's journal of create records:
// ScimUser name → email.
func (c *company) createAttempts() map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	for _, e := range c.config().Status.CreateAttempts {
		out[e.User] = e.Email
	}
	return out
}

// updateConfig changes the IdentityConfig, retrying on conflicts.
func (c *company) updateConfig(f func(*v1.IdentityConfig)) {
	GinkgoHelper()
	update(&v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: c.ns, Name: c.name}}, f)
}

// update reads obj, applies f and writes it back, retrying on conflicts.
func update[T client.Object](obj T, f func(T)) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		f(obj)
		return k8sClient.Update(ctx, obj)
	})).To(Succeed())
}

// requestResync asks the operator to re-read Lightrun now (the
// resync-requested-at annotation) and waits until it has.
func (c *company) requestResync() {
	GinkgoHelper()
	value := randomID()
	c.updateConfig(func(ic *v1.IdentityConfig) {
		if ic.Annotations == nil {
			ic.Annotations = map[string]string{}
		}
		ic.Annotations[v1.AnnotationResyncRequestedAt] = value
	})
	Eventually(func() string { return c.config().Status.LastHandledResyncRequest }).Should(Equal(value))
}

// userSpec is what the SCIM endpoint would store for a user with this email.
func (c *company) userObject(userName, email string) *v1.ScimUser {
	local, _, _ := strings.Cut(email, "@")
	spec := v1.ScimUserSpec{
		IdentityConfigRef: v1.IdentityConfigReference{Name: c.name},
		UserName:          userName,
		Name:              &v1.ScimName{GivenName: "Given-" + local, FamilyName: "Family"},
		Active:            new(true),
	}
	if email != "" {
		spec.Emails = []v1.ScimMultiValue{{Value: email, Type: "work", Primary: new(true)}}
	}
	return &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{
			Name: "u-" + randomID(), Namespace: c.ns,
			Labels: map[string]string{v1.LabelIdentityConfig: c.name},
		},
		Spec: spec,
	}
}

// user creates a ScimUser as the SCIM endpoint would.
func (c *company) user(email string, mods ...func(*v1.ScimUser)) *v1.ScimUser {
	GinkgoHelper()
	u := c.userObject(email, email)
	for _, m := range mods {
		m(u)
	}
	Expect(k8sClient.Create(ctx, u)).To(Succeed())
	return u
}

func inGroups(groups ...*v1.ScimGroup) func(*v1.ScimUser) {
	return func(u *v1.ScimUser) {
		for _, g := range groups {
			u.Spec.Groups = append(u.Spec.Groups, g.Name)
		}
	}
}

func (c *company) group(displayName string) *v1.ScimGroup {
	GinkgoHelper()
	g := &v1.ScimGroup{
		ObjectMeta: metav1.ObjectMeta{
			Name: "g-" + randomID(), Namespace: c.ns,
			Labels: map[string]string{v1.LabelIdentityConfig: c.name},
		},
		Spec: v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: c.name}, DisplayName: displayName},
	}
	Expect(k8sClient.Create(ctx, g)).To(Succeed())
	return g
}

func (c *company) pool(name string, spec v1.AgentPoolSpec) *v1.AgentPool {
	GinkgoHelper()
	spec.IdentityConfigRef = v1.IdentityConfigReference{Name: c.name}
	if spec.PoolName == "" {
		spec.PoolName = name
	}
	p := &v1.AgentPool{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns}, Spec: spec}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	return p
}

// fresh re-reads obj.
func fresh[T client.Object](obj T) T {
	GinkgoHelper()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return obj
}

// conditionOf returns a condition of obj, re-read (zero when absent).
func conditionOf(obj client.Object, typ string) metav1.Condition {
	var conds []metav1.Condition
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return metav1.Condition{Reason: "get: " + err.Error()}
	}
	switch o := obj.(type) {
	case *v1.ScimUser:
		conds = o.Status.Conditions
	case *v1.IdentityConfig:
		conds = o.Status.Conditions
	case *v1.AgentPool:
		conds = o.Status.Conditions
	}
	if c := meta.FindStatusCondition(conds, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// haveCondition matches a condition's status and reason.
func haveCondition(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(HaveField("Status", status), HaveField("Reason", reason))
}

// synced waits until a user is Synced=True and returns it.
func synced(u *v1.ScimUser) *v1.ScimUser {
	GinkgoHelper()
	Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
		Should(HaveField("Status", metav1.ConditionTrue))
	return fresh(u)
}

// lightrunUser returns the emulator's user with this email, or nil.
func (c *company) lightrunUser(email string) *emulator.User {
	GinkgoHelper()
	st, err := c.emu.State()
	Expect(err).NotTo(HaveOccurred())
	for _, u := range st.Users {
		if u.Email == strings.ToLower(email) {
			return u
		}
	}
	return nil
}

func (c *company) lightrunUsers() []*emulator.User {
	GinkgoHelper()
	st, err := c.emu.State()
	Expect(err).NotTo(HaveOccurred())
	return st.Users
}

// groupMembers returns the sorted member emails of a Lightrun group, or nil
// when the group does not exist.
func (c *company) groupMembers(id string) []string {
	GinkgoHelper()
	st, err := c.emu.State()
	Expect(err).NotTo(HaveOccurred())
	for _, g := range st.Groups {
		if g.ID == id {
			out := slices.Sorted(maps.Keys(g.Members))
			return out
		}
	}
	return nil
}

func (c *company) lightrunGroup(id string) *emulator.Group {
	GinkgoHelper()
	st, err := c.emu.State()
	Expect(err).NotTo(HaveOccurred())
	for _, g := range st.Groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (c *company) lightrunPool(id string) *emulator.AgentPool {
	GinkgoHelper()
	st, err := c.emu.State()
	Expect(err).NotTo(HaveOccurred())
	for _, p := range st.AgentPools {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// requests counts the emulator's logged API calls with this method whose
// path starts with prefix.
func (c *company) requests(method, prefix string) int {
	n := 0
	for _, r := range c.emu.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// eventsFor returns the Events about obj with this reason.
func eventsFor(obj client.Object, reason string) []eventsv1.Event {
	GinkgoHelper()
	var list eventsv1.EventList
	Expect(k8sClient.List(ctx, &list, client.InNamespace(obj.GetNamespace()))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// notesOf returns the notes of the Events about obj with this reason.
func notesOf(obj client.Object, reason string) []string {
	events := eventsFor(obj, reason)
	notes := make([]string, 0, len(events))
	for _, e := range events {
		notes = append(notes, e.Note)
	}
	return notes
}

// eventNotes waits for an Event about obj with this reason and returns the notes of all of them.
func eventNotes(obj client.Object, reason string) []string {
	GinkgoHelper()
	Eventually(func() []string { return notesOf(obj, reason) }).ShouldNot(BeEmpty(), "no %s Event about %s", reason, obj.GetName())
	return notesOf(obj, reason)
}

// deleted waits until obj is gone from the API server.
func deleted(obj client.Object) {
	GinkgoHelper()
	Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj))
	}).Should(BeTrue(), "%s still exists", obj.GetName())
}

func emails(format string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}
