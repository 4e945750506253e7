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
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// userJSON is a ScimUser as the API server sends it to the informer.
const userJSON = `{
  "apiVersion": "identity.lightrun.com/v1alpha1", "kind": "ScimUser",
  "metadata": {
    "name": "%s", "namespace": "team-a", "uid": "%s", "resourceVersion": "%s", "generation": 2,
    "labels": {"identity.lightrun.com/identity-config": "okta"},
    "annotations": {"identity.lightrun.com/lightrun-user": "%s", "scim.identity.lightrun.com/last-modified": "2026-12-02T10:00:00.123Z"},
    "finalizers": ["identity.lightrun.com/lightrun"],
    "managedFields": [{"manager": "scim", "operation": "Update", "apiVersion": "identity.lightrun.com/v1alpha1"}]
  },
  "spec": {
    "identityConfigRef": {"name": "okta"},
    "userName": "%s", "externalId": "00u%s",
    "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
    "displayName": "Ada Lovelace", "active": true, "locale": "en-US", "timezone": "Europe/London",
    "emails": [{"value": "%s", "type": "work", "primary": true}],
    "addresses": [{"type": "work", "country": "GB", "locality": "London", "primary": false}],
    "groups": ["6b1c2d3e-aaaa-bbbb-cccc-000000000001"],
    "enterprise": {"department": "Engineering", "employeeNumber": "%s"}
  },
  "status": {
    "conditions": [{"type": "Synced", "status": "True", "reason": "Provisioned", "message": "Provisioned as %s", "lastTransitionTime": "2026-12-02T10:00:01Z", "observedGeneration": 2}],
    "observedGeneration": 2, "email": "%s", "lightrunUserId": "lr-%s",
    "effectiveAgentPools": ["default"], "effectiveRoles": ["USER"]
  }
}`

func decodeUser(t *testing.T, n string) *v1.ScimUser {
	t.Helper()
	email := "user" + n + "@example.com"
	data := fmt.Sprintf(userJSON, "id-"+n, "uid-"+n, "1"+n, email, email, n, email, n, email, email, n)
	u := &v1.ScimUser{}
	if err := json.Unmarshal([]byte(data), u); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return u
}

// sameCopy says whether a and b share one copy of their bytes.
func sameCopy(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func TestShrinkTransformKeepsObjectsEqualAndSharesRepeatedStrings(t *testing.T) {
	transform := shrinkTransform()
	var users []*v1.ScimUser
	for _, n := range []string{"1", "2"} {
		u := decodeUser(t, n)
		want := u.DeepCopy()
		want.ManagedFields = nil
		got, err := transform(u)
		if err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("the transform changed the user:\ngot  %+v\nwant %+v", got, want)
		}
		users = append(users, got.(*v1.ScimUser))
	}
	a, b := users[0], users[1]
	for name, pair := range map[string][2]string{
		"namespace":         {a.Namespace, b.Namespace},
		"identityConfigRef": {a.Spec.IdentityConfigRef.Name, b.Spec.IdentityConfigRef.Name},
		"finalizer":         {a.Finalizers[0], b.Finalizers[0]},
		"label value":       {a.Labels[v1.LabelIdentityConfig], b.Labels[v1.LabelIdentityConfig]},
		"condition reason":  {a.Status.Conditions[0].Reason, b.Status.Conditions[0].Reason},
		"email type":        {a.Spec.Emails[0].Type, b.Spec.Emails[0].Type},
		"locale":            {a.Spec.Locale, b.Spec.Locale},
		"group id":          {a.Spec.Groups[0], b.Spec.Groups[0]},
		"department":        {a.Spec.Enterprise.Department, b.Spec.Enterprise.Department},
		"pool":              {a.Status.EffectiveAgentPools[0], b.Status.EffectiveAgentPools[0]},
		"role":              {string(a.Status.EffectiveRoles[0]), string(b.Status.EffectiveRoles[0])},
	} {
		if !sameCopy(pair[0], pair[1]) {
			t.Errorf("%s: two users hold two copies of %q", name, pair[0])
		}
	}
	// Within a user, the userName's copy is the email's, the status
	// email's and the write-ahead annotation's.
	for name, s := range map[string]string{
		"emails[0].value": a.Spec.Emails[0].Value,
		"status.email":    a.Status.Email,
		"annotation":      a.Annotations[v1.AnnotationLightrunUser],
	} {
		if !sameCopy(s, a.Spec.UserName) {
			t.Errorf("%s is a copy of the userName, not the userName's own bytes", name)
		}
	}
	// Equal labels are one map, which stays as the API server sent it.
	if reflect.ValueOf(a.Labels).UnsafePointer() != reflect.ValueOf(b.Labels).UnsafePointer() {
		t.Error("two users with equal labels hold two label maps")
	}
	if want := map[string]string{v1.LabelIdentityConfig: "okta"}; !maps.Equal(a.Labels, want) {
		t.Errorf("shared labels %v, want %v", a.Labels, want)
	}
	other := decodeUser(t, "3")
	other.Labels["team"] = "blue"
	got, err := transform(other)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.(*v1.ScimUser); reflect.ValueOf(c.Labels).UnsafePointer() == reflect.ValueOf(a.Labels).UnsafePointer() || c.Labels["team"] != "blue" || len(a.Labels) != 1 {
		t.Errorf("users with different labels share a map: %v and %v", a.Labels, c.Labels)
	}
	// Values unique to a user are not interned across users.
	if sameCopy(a.Spec.UserName, b.Spec.UserName) {
		t.Error("two users share a userName")
	}
}

func TestInternerIsBounded(t *testing.T) {
	in := newInterner()
	long := strings.Repeat("x", internMaxLen+1)
	if got := in.intern(long); !sameCopy(got, long) || len(in.values) != 0 {
		t.Errorf("a string longer than %d bytes was interned", internMaxLen)
	}
	for i := range internMaxEntries + 10 {
		in.intern("v" + strconv.Itoa(i))
	}
	if len(in.values) != internMaxEntries {
		t.Errorf("the table holds %d values, want at most %d", len(in.values), internMaxEntries)
	}
	for i := range internMaxMaps + 10 {
		in.sharedMap(map[string]string{"k": "m" + strconv.Itoa(i)})
	}
	if len(in.maps) != internMaxMaps {
		t.Errorf("the table holds %d maps, want at most %d", len(in.maps), internMaxMaps)
	}
}
