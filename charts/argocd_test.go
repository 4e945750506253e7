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

package charts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// health is what an Argo CD health check returns.
type health struct{ Status, Message string }

// healthCodes are the statuses Argo CD accepts from a health check; any
// other makes Argo CD report Unknown ("Lua returned an invalid health status").
var healthCodes = []string{"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

// runHealthCheck runs a health check the way Argo CD runs one configured in
// argocd-cm: a new Lua state with only the package, base and table libraries
// (custom checks get no string, math or os library unless they set
// useOpenLibs), a one-second deadline, the live object decoded from its JSON
// into the global obj (objects become tables, arrays sequences, numbers Lua
// numbers, null nil), and the value the script leaves on top of the stack,
// which must be a table, read as {status, message}.
func runHealthCheck(script string, obj *unstructured.Unstructured) (health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return health{}, fmt.Errorf("opening %s: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return health{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("the script returned a %s, not a table", l.Get(-1).Type())
	}
	var h health
	for field, dst := range map[string]*string{"status": &h.Status, "message": &h.Message} {
		switch v := ret.RawGetString(field).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			return health{}, fmt.Errorf("hs.%s is a %s, not a string", field, v.Type())
		}
	}
	if !slices.Contains(healthCodes, h.Status) {
		return health{}, fmt.Errorf("hs.status %q is not an Argo CD health status", h.Status)
	}
	return h, nil
}

// toLua converts a value of an unstructured object as Argo CD does.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	}
	panic(fmt.Sprintf("unexpected %T in an unstructured object", v))
}

// healthScript is the shipped health check of a kind.
func healthScript(kind string) string {
	GinkgoHelper()
	file := "conditions.lua" // every kind with a summary condition
	if kind == "ScimGroup" {
		file = "ScimGroup.lua"
	}
	data, err := os.ReadFile(filepath.Join(chartDir, "files", "argocd", file))
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// asArgoCDSeesIt turns a typed object into what Argo CD hands the script:
// the object's JSON decoded into an unstructured map.
func asArgoCDSeesIt(o client.Object) *unstructured.Unstructured {
	GinkgoHelper()
	data, err := json.Marshal(o)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{}
	Expect(u.UnmarshalJSON(data)).To(Succeed())
	return u
}

// The fixtures are at generation 3; a status of generation 2 is stale.
const generation = 3

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "identity", Generation: generation}
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: v1.GroupVersion.String(), Kind: kind}
}

// cond is a condition computed from generation 3.
func cond(typ string, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: generation,
		LastTransitionTime: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
}

const (
	isTrue    = metav1.ConditionTrue
	isFalse   = metav1.ConditionFalse
	isUnknown = metav1.ConditionUnknown
)

// ready is a Ready condition, synced a Synced one.
func ready(status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return cond(v1.ConditionReady, status, reason, msg)
}

func synced(status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return cond(v1.ConditionSynced, status, reason, msg)
}

// stale returns the conditions as computed from the previous generation.
func stale(conds ...metav1.Condition) []metav1.Condition {
	for i := range conds {
		conds[i].ObservedGeneration = generation - 1
	}
	return conds
}

func deleting[T client.Object](o T) T {
	o.SetDeletionTimestamp(&metav1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	o.SetFinalizers([]string{v1.FinalizerLightrun})
	return o
}

// identityConfig is an IdentityConfig whose status was computed from
// generation observed (0: no status at all).
func identityConfig(observed int64, conds ...metav1.Condition) *v1.IdentityConfig {
	ic := &v1.IdentityConfig{TypeMeta: typeMeta("IdentityConfig"), ObjectMeta: meta("okta")}
	ic.Status.ObservedGeneration = observed
	ic.Status.Conditions = conds
	return ic
}

func withUsers(ic *v1.IdentityConfig, synced, pending, failed int32) *v1.IdentityConfig {
	ic.Status.Users = v1.UserCounts{Total: synced + pending + failed, Synced: synced, Pending: pending, Failed: failed}
	return ic
}

func agentPool(observed int64, conds ...metav1.Condition) *v1.AgentPool {
	p := &v1.AgentPool{TypeMeta: typeMeta("AgentPool"), ObjectMeta: meta("payments")}
	p.Status.ObservedGeneration = observed
	p.Status.Conditions = conds
	return p
}

func scimUser(observed int64, conds ...metav1.Condition) *v1.ScimUser {
	u := &v1.ScimUser{TypeMeta: typeMeta("ScimUser"), ObjectMeta: meta("2819c223-7f76-453a-919d-413861904646")}
	u.Status.ObservedGeneration = observed
	u.Status.Conditions = conds
	return u
}

func scimGroup(observed int64, members int32, pools ...string) *v1.ScimGroup {
	g := &v1.ScimGroup{TypeMeta: typeMeta("ScimGroup"), ObjectMeta: meta("7d3c2b1a-5e4f-4a8b-9c0d-112233445566")}
	g.Status.ObservedGeneration = observed
	g.Status.MemberCount = members
	g.Status.AgentPools = pools
	return g
}

// What a False summary condition (Ready, or Synced on a ScimUser) means to
// Argo CD, by reason. Every Reason constant of api/v1alpha1 is in exactly one
// list, so a new reason fails the specs below until someone decides; the
// decisions are explained in docs/gitops.md.
var (
	// waitingReasons: the operator gets there by itself (it retries, or waits
	// for something else that is reported where it can be fixed): Progressing.
	waitingReasons = []string{
		v1.ReasonReconciling, v1.ReasonIdentityConfigNotReady,
		v1.ReasonBackendUnreachable, v1.ReasonRateLimited, v1.ReasonDeleting,
	}
	// actionReasons: nothing changes until a person does something: Degraded.
	actionReasons = []string{
		v1.ReasonSecretNotFound, v1.ReasonSecretKeyMissing, v1.ReasonUnauthorized, v1.ReasonForbidden,
		v1.ReasonSSONotEnabled, v1.ReasonDuplicateIdentityProvider, v1.ReasonBuiltInSCIMEnabled,
		v1.ReasonCompanyMismatch, v1.ReasonInsufficientPermissions, v1.ReasonManagedByAnotherIdP,
		v1.ReasonBearerTokenTooShort,
		v1.ReasonNoEmail, v1.ReasonExistingUnmanagedUser, v1.ReasonEmailInUse, v1.ReasonLightrunRejected,
	}
	// trueReasons come with a True condition, or only on conditions that are
	// not the summary one (EndpointDisabled: EndpointReady=False on purpose).
	trueReasons = []string{
		v1.ReasonReconciled, v1.ReasonServing, v1.ReasonSSOLoginMethod, v1.ReasonBuiltInSCIMOff,
		v1.ReasonDeprovisioned, v1.ReasonEndpointDisabled, v1.ReasonBuiltInSCIMRiskAccepted,
	}
)

// declaredReasons parses api/v1alpha1 for its Reason constants, so that the
// specs follow the API wherever the constants live in the package.
func declaredReasons() map[string]string {
	GinkgoHelper()
	fset := token.NewFileSet()
	dir := filepath.Join(testenv.RepoRoot(), "api", "v1alpha1")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	Expect(err).NotTo(HaveOccurred())
	reasons := map[string]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		Expect(err).NotTo(HaveOccurred())
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					Expect(ok && lit.Kind == token.STRING).To(BeTrue(), "%s is not a string literal", name.Name)
					value, err := strconv.Unquote(lit.Value)
					Expect(err).NotTo(HaveOccurred())
					reasons[name.Name] = value
				}
			}
		}
	}
	Expect(reasons).NotTo(BeEmpty())
	return reasons
}

var _ = Describe("the Argo CD health checks", func() {
	DescribeTable("tell Argo CD where an object stands",
		func(kind string, obj client.Object, want string, inMessage ...string) {
			h, err := runHealthCheck(healthScript(kind), asArgoCDSeesIt(obj))
			Expect(err).NotTo(HaveOccurred())
			Expect(h.Status).To(Equal(want), "message: %s", h.Message)
			Expect(h.Message).NotTo(BeEmpty())
			for _, s := range inMessage {
				Expect(h.Message).To(ContainSubstring(s))
			}
		},

		Entry("IdentityConfig Ready", "IdentityConfig",
			identityConfig(generation, ready(isTrue, v1.ReasonReconciled, "Users are provisioned into company acme.")),
			"Healthy", "Users are provisioned into company acme."),
		Entry("IdentityConfig Ready, with the user counts", "IdentityConfig",
			withUsers(identityConfig(generation, ready(isTrue, v1.ReasonReconciled, "Users are provisioned.")), 7, 2, 1),
			"Healthy", "7 synced", "2 pending", "1 failed"),
		Entry("IdentityConfig without a status", "IdentityConfig",
			identityConfig(0), "Progressing", "operator"),
		Entry("IdentityConfig whose latest generation is not observed yet", "IdentityConfig",
			identityConfig(generation-1, stale(ready(isTrue, v1.ReasonReconciled, "Users are provisioned."))...),
			"Progressing", "generation 3", "the status is of generation 2"),
		Entry("IdentityConfig whose Ready condition is of an older generation", "IdentityConfig",
			identityConfig(generation, stale(ready(isTrue, v1.ReasonReconciled, "Users are provisioned."))...),
			"Progressing", "generation 3", "the Ready condition is of generation 2"),
		Entry("IdentityConfig not checked against Lightrun yet", "IdentityConfig",
			identityConfig(generation, ready(isUnknown, v1.ReasonReconciling, "Lightrun has not been checked yet.")),
			"Progressing", "Lightrun has not been checked yet."),
		Entry("IdentityConfig waiting for Lightrun to answer", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonBackendUnreachable, "Lightrun did not answer.")),
			"Progressing", "BackendUnreachable", "did not answer"),
		Entry("IdentityConfig rate limited by Lightrun", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonRateLimited, "Lightrun answered 429.")),
			"Progressing", "RateLimited"),
		Entry("IdentityConfig whose Lightrun is not on SSO", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonSSONotEnabled, "The login method is PASSWORD, not SSO.")),
			"Degraded", "SSONotEnabled", "not SSO"),
		Entry("IdentityConfig refused as a second IdP of its company", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonDuplicateIdentityProvider, "Fed by identity/entra.")),
			"Degraded", "DuplicateIdentityProvider", "identity/entra"),
		Entry("IdentityConfig without its API key Secret", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonSecretNotFound, "Secret lightrun-api-key not found")),
			"Degraded", "SecretNotFound"),
		Entry("IdentityConfig whose API key Lightrun refuses", "IdentityConfig",
			identityConfig(generation, ready(isFalse, v1.ReasonUnauthorized, "Lightrun answered 401.")),
			"Degraded", "Unauthorized"),
		Entry("IdentityConfig being deleted", "IdentityConfig",
			deleting(identityConfig(generation, ready(isTrue, v1.ReasonReconciled, "Users are provisioned."))),
			"Progressing", "deleted"),

		Entry("AgentPool Ready", "AgentPool",
			agentPool(generation, ready(isTrue, v1.ReasonReconciled, "Agent pool payments and its 12 members are in Lightrun.")),
			"Healthy", "its 12 members"),
		Entry("AgentPool without a status", "AgentPool", agentPool(0), "Progressing"),
		Entry("AgentPool whose latest generation is not observed yet", "AgentPool",
			agentPool(generation-1, stale(ready(isTrue, v1.ReasonReconciled, "Agent pool payments is in Lightrun."))...),
			"Progressing", "generation 3", "the status is of generation 2"),
		Entry("AgentPool whose Ready condition is of an older generation", "AgentPool",
			agentPool(generation, stale(ready(isTrue, v1.ReasonReconciled, "Agent pool payments is in Lightrun."))...),
			"Progressing", "the Ready condition is of generation 2"),
		Entry("AgentPool waiting for its IdentityConfig", "AgentPool",
			agentPool(generation, ready(isFalse, v1.ReasonIdentityConfigNotReady, "IdentityConfig okta is not Ready.")),
			"Progressing", "IdentityConfigNotReady", "okta"),
		Entry("AgentPool retrying membership changes", "AgentPool",
			agentPool(generation, ready(isFalse, v1.ReasonReconciling, "2 membership changes failed")),
			"Progressing", "Reconciling"),
		Entry("AgentPool that Lightrun refuses", "AgentPool",
			agentPool(generation, ready(isFalse, v1.ReasonLightrunRejected, "Lightrun answered 400: role not allowed")),
			"Degraded", "LightrunRejected", "role not allowed"),
		Entry("AgentPool the API key may not manage", "AgentPool",
			agentPool(generation, ready(isFalse, v1.ReasonForbidden, "Lightrun answered 403.")),
			"Degraded", "Forbidden"),
		Entry("AgentPool being removed from Lightrun", "AgentPool",
			deleting(agentPool(generation, ready(isFalse, v1.ReasonDeleting, "Removing the pool is held: agents are live."))),
			"Progressing", "agents are live"),

		Entry("ScimUser synced", "ScimUser",
			scimUser(generation, synced(isTrue, v1.ReasonReconciled, "Lightrun user alice@example.com is enabled.")),
			"Healthy", "alice@example.com is enabled"),
		Entry("ScimUser the IdP deactivated", "ScimUser",
			scimUser(generation, synced(isTrue, v1.ReasonDeprovisioned, "Lightrun user alice@example.com is disabled.")),
			"Suspended", "disabled"),
		Entry("ScimUser without a status", "ScimUser", scimUser(0), "Progressing"),
		Entry("ScimUser whose latest generation is not observed yet", "ScimUser",
			scimUser(generation-1, stale(synced(isTrue, v1.ReasonReconciled, "Lightrun user alice@example.com is enabled."))...),
			"Progressing", "generation 3", "the status is of generation 2"),
		Entry("ScimUser whose Synced condition is of an older generation", "ScimUser",
			scimUser(generation, stale(synced(isTrue, v1.ReasonReconciled, "Lightrun user alice@example.com is enabled."))...),
			"Progressing", "the Synced condition is of generation 2"),
		Entry("ScimUser waiting for its IdentityConfig", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonIdentityConfigNotReady, "Provisioning is held: SSOEnabled is False.")),
			"Progressing", "IdentityConfigNotReady"),
		Entry("ScimUser waiting for Lightrun", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonBackendUnreachable, "Lightrun answered 503.")),
			"Progressing", "BackendUnreachable"),
		Entry("ScimUser waiting out a Retry-After", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonRateLimited, "Lightrun answered 429.")),
			"Progressing", "RateLimited"),
		Entry("ScimUser without an email", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonNoEmail, "The user has no email.")),
			"Degraded", "NoEmail", "no email"),
		Entry("ScimUser whose email an unmanaged Lightrun user has", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonExistingUnmanagedUser, "alice@example.com already exists.")),
			"Degraded", "ExistingUnmanagedUser"),
		Entry("ScimUser whose email another ScimUser holds", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonEmailInUse, "ScimUser 42 already uses alice@example.com.")),
			"Degraded", "EmailInUse"),
		Entry("ScimUser that Lightrun refuses", "ScimUser",
			scimUser(generation, synced(isFalse, v1.ReasonLightrunRejected, "Lightrun answered 400.")),
			"Degraded", "LightrunRejected"),
		Entry("ScimUser being deprovisioned", "ScimUser",
			deleting(scimUser(generation, synced(isFalse, v1.ReasonDeleting, "Deprovisioning alice@example.com is held."))),
			"Progressing", "Deprovisioning"),

		Entry("ScimGroup counted", "ScimGroup", scimGroup(generation, 12, "payments", "platform"),
			"Healthy", "12 members", "payments, platform"),
		Entry("ScimGroup no AgentPool selects", "ScimGroup", scimGroup(generation, 0), "Healthy", "0 members"),
		Entry("ScimGroup without a status", "ScimGroup", scimGroup(0, 0), "Progressing"),
		Entry("ScimGroup whose latest generation is not counted yet", "ScimGroup", scimGroup(generation-1, 12),
			"Progressing", "generation 3", "the status is of generation 2"),
	)

	It("decides about every condition reason the API declares", func() {
		var decided []string
		decided = append(append(append(decided, waitingReasons...), actionReasons...), trueReasons...)
		for name, value := range declaredReasons() {
			Expect(decided).To(ContainElement(value), "v1alpha1.%s (%q) is neither a waiting, an action nor a True reason; "+
				"decide which and say why in docs/gitops.md", name, value)
		}
		Expect(decided).To(HaveLen(len(declaredReasons())), "a reason is listed twice, or one is listed that the API lacks")
	})

	It("explains every decision in docs/gitops.md", func() {
		doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "gitops.md"))
		Expect(err).NotTo(HaveOccurred())
		progressing, degraded, found := strings.Cut(string(doc), "| Degraded: nothing changes until a person acts")
		Expect(found).To(BeTrue())
		_, progressing, found = strings.Cut(progressing, "| Progressing: the operator gets there by itself")
		Expect(found).To(BeTrue())
		degraded, _, _ = strings.Cut(degraded, "\n\n")
		for _, r := range waitingReasons {
			Expect(progressing).To(ContainSubstring("`"+r+"`"), "docs/gitops.md's Progressing table lacks %s", r)
		}
		for _, r := range actionReasons {
			Expect(degraded).To(ContainSubstring("`"+r+"`"), "docs/gitops.md's Degraded table lacks %s", r)
		}
	})

	summaries := map[string]func(reason string) client.Object{
		"IdentityConfig": func(r string) client.Object {
			return identityConfig(generation, ready(isFalse, r, "Because "+r+"."))
		},
		"AgentPool": func(r string) client.Object {
			return agentPool(generation, ready(isFalse, r, "Because "+r+"."))
		},
		"ScimUser": func(r string) client.Object {
			return scimUser(generation, synced(isFalse, r, "Because "+r+"."))
		},
	}
	for kind, object := range summaries {
		It("makes "+kind+" Progressing for every waiting reason and Degraded for every other, with the reason", func() {
			script := healthScript(kind)
			for _, reasons := range []struct {
				want string
				list []string
			}{{"Progressing", waitingReasons}, {"Degraded", actionReasons}} {
				for _, r := range reasons.list {
					h, err := runHealthCheck(script, asArgoCDSeesIt(object(r)))
					Expect(err).NotTo(HaveOccurred())
					Expect(h).To(Equal(health{reasons.want, r + ": Because " + r + "."}), "reason %s", r)
				}
			}
		})
	}
})
