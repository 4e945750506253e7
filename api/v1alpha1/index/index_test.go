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

package index

import (
	"context"
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// recorder is a client.FieldIndexer that keeps what was registered.
type recorder map[string]client.IndexerFunc

func (r recorder) IndexField(_ context.Context, obj client.Object, field string, fn client.IndexerFunc) error {
	key := fmt.Sprintf("%T/%s", obj, field)
	if _, dup := r[key]; dup {
		return fmt.Errorf("%s registered twice", key)
	}
	r[key] = fn
	return nil
}

func (r recorder) keys(obj client.Object, field string) []string {
	fn := r[fmt.Sprintf("%T/%s", obj, field)]
	if fn == nil {
		return nil
	}
	out := fn(obj)
	slices.Sort(out)
	return out
}

// A lookup key built by a field's Key and the key its indexer stores must be
// the same string, whatever the case of either side: this is what lets the
// SCIM store and the reconcilers find objects without scanning.
func TestLookupKeysMatchIndexedKeys(t *testing.T) {
	r := recorder{}
	if err := Setup(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ref := v1.IdentityConfigReference{Name: "okta"}
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u1"},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: ref, UserName: "Alice@Example.com", ExternalID: "00uAbC",
			Emails: []v1.ScimMultiValue{{Value: "ALICE@example.com"}, {Value: "a.l@example.com"}},
			Groups: []string{"g-1"},
		},
	}
	g := &v1.ScimGroup{Spec: v1.ScimGroupSpec{IdentityConfigRef: ref, DisplayName: "Ops Team", ExternalID: "00gX", Groups: []string{"g-parent"}}}
	p := &v1.AgentPool{Spec: v1.AgentPoolSpec{
		IdentityConfigRef: ref, PoolName: "Blue",
		Members: v1.AgentPoolMembers{Groups: []string{"ops team"}, UserNames: []string{"ALICE@example.com"}},
	}}
	cases := []struct {
		name  string
		obj   client.Object
		field string
		want  string
	}{
		{"tenant of a group", g, ScimTenant.Name, "okta"},
		{"displayName, any case", g, ScimGroupDisplayName.Name, ScimGroupDisplayName.Key("okta", "OPS TEAM")},
		{"group externalId", g, ScimGroupExternalID.Name, ScimGroupExternalID.Key("okta", "00gX")},
		{"nested group membership", g, ScimGroupParent.Name, ScimGroupParent.Key("okta", "g-parent")},
		{"pool by group name", p, AgentPoolGroup.Name, AgentPoolGroup.Key("okta", "Ops Team")},
		{"pool by userName", p, AgentPoolUserName.Name, AgentPoolUserName.Key("okta", "alice@example.com")},
		{"pool by pool name", p, AgentPoolName.Name, AgentPoolName.Key("okta", "BLUE")},
		{"pool by IdentityConfig", p, AgentPoolIdentityConfig.Name, "okta"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.keys(c.obj, c.field); !slices.Contains(got, c.want) {
				t.Fatalf("indexed keys %q do not contain the lookup key %q", got, c.want)
			}
		})
	}
	for _, field := range []string{"scim.userName", "scim.user.externalId", "scim.email", ScimTenant.Name, "scim.group"} {
		if _, ok := r[fmt.Sprintf("%T/%s", u, field)]; ok {
			t.Errorf("ScimUsers are found by %s through internal/userindex, but the cache indexes it too", field)
		}
	}
}
