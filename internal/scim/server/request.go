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

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// decodeBody reads a JSON object body. Numbers stay json.Number so that no
// integer loses precision (see the package comment).
func decodeBody(r *request) (map[string]any, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return decodeObject(data)
}

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, scim.ErrInvalidSyntax("the request body is not a JSON object: %v", err)
	}
	if body == nil {
		return nil, scim.ErrInvalidSyntax("the request body must be a JSON object")
	}
	if dec.More() {
		return nil, scim.ErrInvalidSyntax("the request body holds more than one JSON value")
	}
	return body, nil
}

// etagMatches reports whether an If-Match or If-None-Match header value
// names the given resourceVersion: "*" matches anything; weak and strong
// tags compare by their opaque value (RFC 7232 §2.3.2, weak comparison,
// which RFC 7644 §3.14 uses for versions).
func etagMatches(header, resourceVersion string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		tag = strings.TrimPrefix(tag, "W/")
		if strings.Trim(tag, `"`) == resourceVersion {
			return true
		}
	}
	return false
}

// ifMatchVersion returns the resourceVersion an If-Match header pins
// (empty when absent or "*"), and whether the current version fails it.
func ifMatch(r *request, current string) (pinned string, failed bool) {
	header := r.Header.Get("If-Match")
	if header == "" {
		return "", false
	}
	if !etagMatches(header, current) {
		return "", true
	}
	if strings.TrimSpace(header) == "*" {
		return "", false
	}
	return current, false
}

// notModified answers 304 when If-None-Match names the current version
// (RFC 7644 §3.14) and reports whether it did.
// getOne answers GET of one resource (RFC 7644 §3.4.1): 404 for an id the
// tenant does not have, 304 when If-None-Match names the current version.
func getOne[T client.Object](w http.ResponseWriter, r *request, resourceType string,
	get func(ctx context.Context, t store.Tenant, id string) (T, error),
	respond func(w http.ResponseWriter, r *request, status int, obj T) error) error {
	obj, err := get(r.Context(), r.tenant.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, resourceType, r.PathValue("id"))
	}
	if notModified(w, r, obj.GetResourceVersion()) {
		return nil
	}
	return respond(w, r, http.StatusOK, obj)
}

func notModified(w http.ResponseWriter, r *request, resourceVersion string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" || !etagMatches(inm, resourceVersion) {
		return false
	}
	w.Header().Set("ETag", weakETag(resourceVersion))
	w.WriteHeader(http.StatusNotModified)
	return true
}

// writeResource answers with one resource, its ETag and, for 201, its
// Location (RFC 7644 §3.3).
func writeResource(w http.ResponseWriter, status int, res map[string]any, resourceVersion, location string) {
	w.Header().Set("ETag", weakETag(resourceVersion))
	if status == http.StatusCreated {
		w.Header().Set("Location", location)
	}
	writeJSON(w, status, res)
}
