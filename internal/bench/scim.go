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

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// scimClient plays the identity provider against one IdentityConfig's SCIM
// base URL.
type scimClient struct {
	base, token string
	http        *http.Client
}

func newSCIMClient(base, token string) *scimClient {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
	}
	return &scimClient{base: base, token: token, http: &http.Client{Transport: transport, Timeout: 2 * time.Minute}}
}

// scimError is an answer with a status the harness did not expect.
type scimError struct {
	method, path string
	status       int
	body         string
}

func (e *scimError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.method, e.path, e.status, e.body)
}

// do sends a request and reads the whole answer; the duration is from
// sending to the last byte of the body. An answer other than want is a
// *scimError. out, when set, receives the decoded body.
func (c *scimClient) do(ctx context.Context, method, path string, body any, want int, out any) (time.Duration, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encoding the %s %s body: %w", method, path, err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return 0, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		if len(data) > 512 {
			data = append(data[:512], "…"...)
		}
		return took, &scimError{method: method, path: path, status: resp.StatusCode, body: string(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return took, fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return took, nil
}

// listResponse is the part of a SCIM ListResponse the harness reads,
// including RFC 9865's nextCursor.
type listResponse struct {
	TotalResults int              `json:"totalResults"`
	ItemsPerPage int              `json:"itemsPerPage"`
	StartIndex   int              `json:"startIndex"`
	NextCursor   string           `json:"nextCursor"`
	Resources    []map[string]any `json:"Resources"`
}

// serviceProviderConfig is the part of RFC 7643 §5 (and RFC 9865 §4's
// pagination object) the harness reads.
type serviceProviderConfig struct {
	Filter struct {
		MaxResults int `json:"maxResults"`
	} `json:"filter"`
	Pagination *struct {
		Cursor        bool `json:"cursor"`
		Index         bool `json:"index"`
		MaxPageSize   int  `json:"maxPageSize"`
		CursorTimeout int  `json:"cursorTimeout"`
	} `json:"pagination"`
}

// userSpec is the i-th pushed user, as an Okta push of a typical employee
// looks: userName, externalId, name, displayName, active, a work email,
// locale, timezone and the enterprise extension.
func userSpec(i int) v1.ScimUserSpec {
	email := fmt.Sprintf("bench.user%07d@example.com", i)
	given, family := fmt.Sprintf("Given%07d", i), fmt.Sprintf("Family%07d", i)
	return v1.ScimUserSpec{
		UserName:    email,
		ExternalID:  fmt.Sprintf("00u%017d", i),
		Name:        &v1.ScimName{GivenName: given, FamilyName: family, Formatted: given + " " + family},
		DisplayName: given + " " + family,
		Active:      new(true),
		Emails:      []v1.ScimMultiValue{{Value: email, Type: "work", Primary: new(true)}},
		Locale:      "en-US",
		Timezone:    "Europe/London",
		Enterprise: &v1.ScimEnterpriseUser{
			EmployeeNumber: fmt.Sprint(100000 + i),
			Department:     fmt.Sprintf("Department %02d", i%20),
		},
	}
}

// userPayload is the SCIM POST body of a spec: its fields under their SCIM
// names (the spec's json tags are the SCIM attribute names), the
// enterprise extension under its URN, and the schemas.
func userPayload(spec v1.ScimUserSpec) (map[string]any, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the user: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decoding the user: %w", err)
	}
	delete(m, "identityConfigRef")
	delete(m, "groups")
	schemas := []string{scim.UserSchemaURN}
	if ext, ok := m["enterprise"]; ok {
		delete(m, "enterprise")
		m[scim.EnterpriseUserSchemaURN] = ext
		schemas = append(schemas, scim.EnterpriseUserSchemaURN)
	}
	m["schemas"] = schemas
	return m, nil
}
