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

package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3.1, IANA "SCIM Schema URIs").
const (
	// UserSchemaURN is the core User schema (RFC 7643 §4.1).
	UserSchemaURN = "urn:ietf:params:scim:schemas:core:2.0:User"
	// GroupSchemaURN is the core Group schema (RFC 7643 §4.2).
	GroupSchemaURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	// EnterpriseUserSchemaURN is the enterprise User extension (RFC 7643 §4.3).
	EnterpriseUserSchemaURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// ServiceProviderConfigSchemaURN is the service provider configuration schema (RFC 7643 §5).
	ServiceProviderConfigSchemaURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	// ResourceTypeSchemaURN is the resource type schema (RFC 7643 §6).
	ResourceTypeSchemaURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	// SchemaSchemaURN is the schema of schema definitions (RFC 7643 §7).
	SchemaSchemaURN = "urn:ietf:params:scim:schemas:core:2.0:Schema"

	// ListResponseURN is the list/query response message (RFC 7644 §3.4.2).
	ListResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	// SearchRequestURN is the POST query request message (RFC 7644 §3.4.3).
	SearchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	// PatchOpURN is the PATCH request message (RFC 7644 §3.5.2).
	PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	// BulkRequestURN is the bulk request message (RFC 7644 §3.7).
	BulkRequestURN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	// BulkResponseURN is the bulk response message (RFC 7644 §3.7).
	BulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	// ErrorURN is the error response message (RFC 7644 §3.12).
	ErrorURN = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// The "scimType" error keywords of RFC 7644 §3.12, table 9.
const (
	ScimTypeInvalidFilter = "invalidFilter"
	ScimTypeTooMany       = "tooMany"
	ScimTypeUniqueness    = "uniqueness"
	ScimTypeMutability    = "mutability"
	ScimTypeInvalidSyntax = "invalidSyntax"
	ScimTypeInvalidPath   = "invalidPath"
	ScimTypeNoTarget      = "noTarget"
	ScimTypeInvalidValue  = "invalidValue"
	ScimTypeInvalidVers   = "invalidVers"
	ScimTypeSensitive     = "sensitive"
	// ScimTypeTooLarge is not in the RFC 7644 §3.12 table; it is the keyword
	// SCIM servers commonly pair with 413 when a body or bulk request exceeds
	// the limits advertised in ServiceProviderConfig (RFC 7644 §3.7.4).
	ScimTypeTooLarge = "tooLarge"
	// ScimTypeInvalidCursor: RFC 9865 §2.3, 400 — the cursor is not one
	// this server issued for this query.
	ScimTypeInvalidCursor = "invalidCursor"
)

// The HTTP status codes of SCIM errors (RFC 7644 §3.12). They are plain
// numbers here, equal to net/http's Status* constants, so that the protocol
// does not depend on an HTTP implementation; the server writes them as they
// are.
const (
	statusBadRequest            = 400
	statusUnauthorized          = 401
	statusForbidden             = 403
	statusNotFound              = 404
	statusMethodNotAllowed      = 405
	statusConflict              = 409
	statusPreconditionFailed    = 412
	statusRequestEntityTooLarge = 413
	statusUnsupportedMediaType  = 415
	statusTooManyRequests       = 429
	statusInternalServerError   = 500
	statusNotImplemented        = 501
	statusServiceUnavailable    = 503
)

// statusText is the reason phrase of each status above (RFC 9110 §15), for
// the message of an Error that has neither scimType nor detail.
var statusText = map[int]string{
	statusBadRequest:            "Bad Request",
	statusUnauthorized:          "Unauthorized",
	statusForbidden:             "Forbidden",
	statusNotFound:              "Not Found",
	statusMethodNotAllowed:      "Method Not Allowed",
	statusConflict:              "Conflict",
	statusPreconditionFailed:    "Precondition Failed",
	statusRequestEntityTooLarge: "Request Entity Too Large",
	statusUnsupportedMediaType:  "Unsupported Media Type",
	statusTooManyRequests:       "Too Many Requests",
	statusInternalServerError:   "Internal Server Error",
	statusNotImplemented:        "Not Implemented",
	statusServiceUnavailable:    "Service Unavailable",
}

// Error is a SCIM error (RFC 7644 §3.12). It implements error, and its JSON
// form is the SCIM error body, so a handler can write it as it is.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// ScimType is one of the ScimType* keywords, or empty.
	ScimType string
	// Detail is a human-readable explanation. It is sent to the client: it
	// must never contain a token or a password.
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.ScimType != "" && e.Detail != "":
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	case e.ScimType != "":
		return fmt.Sprintf("scim %d %s", e.Status, e.ScimType)
	case e.Detail != "":
		return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
	case statusText[e.Status] != "":
		return fmt.Sprintf("scim %d %s", e.Status, statusText[e.Status])
	default:
		return fmt.Sprintf("scim %d", e.Status)
	}
}

// errorBody is the wire form of Error.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// MarshalJSON writes the RFC 7644 §3.12 error body. RFC 7644 §3.12: "status"
// is the HTTP status code expressed as a JSON string, not a number.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorBody{
		Schemas:  []string{ErrorURN},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	})
}

// UnmarshalJSON reads an RFC 7644 §3.12 error body. It accepts "status" as a
// string (as the RFC specifies) or as a number (as some clients send it).
func (e *Error) UnmarshalJSON(data []byte) error {
	var body struct {
		Status   json.RawMessage `json:"status"`
		ScimType string          `json:"scimType"`
		Detail   string          `json:"detail"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return fmt.Errorf("decoding SCIM error body: %w", err)
	}
	var status string
	if err := json.Unmarshal(body.Status, &status); err != nil {
		status = string(body.Status)
	}
	code, err := strconv.Atoi(status)
	if err != nil {
		return fmt.Errorf("decoding SCIM error body: status %q is not an HTTP status code", status)
	}
	*e = Error{Status: code, ScimType: body.ScimType, Detail: body.Detail}
	return nil
}

// AsError returns err as a *Error: err itself (or the *Error it wraps), or a
// 500 with a generic detail for any other error, so that an internal error
// message never reaches a client.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if se, ok := errors.AsType[*Error](err); ok {
		return se
	}
	return &Error{Status: statusInternalServerError, Detail: "internal server error"}
}

func newError(status int, scimType, format string, args ...any) *Error {
	detail := format
	if len(args) > 0 {
		detail = fmt.Sprintf(format, args...)
	}
	return &Error{Status: status, ScimType: scimType, Detail: detail}
}

// ErrInvalidFilter: RFC 7644 §3.12, 400 invalidFilter — the filter syntax
// was invalid, or the attribute and comparison combination is not supported.
func ErrInvalidFilter(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidFilter, format, args...)
}

// ErrTooMany: RFC 7644 §3.12, 400 tooMany — the filter yields more results
// than the server is willing to process.
func ErrTooMany(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeTooMany, format, args...)
}

// ErrInvalidCursor: RFC 9865 §2.3, 400 invalidCursor — the cursor value is
// invalid: malformed, or issued for another query.
func ErrInvalidCursor(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidCursor, format, args...)
}

// ErrUniqueness: RFC 7644 §3.12, 409 uniqueness — one or more attribute
// values are already in use or reserved.
func ErrUniqueness(format string, args ...any) *Error {
	return newError(statusConflict, ScimTypeUniqueness, format, args...)
}

// ErrMutability: RFC 7644 §3.12, 400 mutability — the modification is
// incompatible with the attribute's mutability.
func ErrMutability(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeMutability, format, args...)
}

// ErrInvalidSyntax: RFC 7644 §3.12, 400 invalidSyntax — the request body
// structure was invalid or did not conform to the request schema.
func ErrInvalidSyntax(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidSyntax, format, args...)
}

// ErrInvalidPath: RFC 7644 §3.12, 400 invalidPath — the "path" was invalid
// or malformed.
func ErrInvalidPath(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidPath, format, args...)
}

// ErrNoTarget: RFC 7644 §3.12, 400 noTarget — the "path" did not yield an
// attribute or value that could be operated on.
func ErrNoTarget(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeNoTarget, format, args...)
}

// ErrInvalidValue: RFC 7644 §3.12, 400 invalidValue — a required value was
// missing, or the value is not compatible with the operation, the attribute
// type or the resource schema.
func ErrInvalidValue(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidValue, format, args...)
}

// ErrInvalidVers: RFC 7644 §3.12, 400 invalidVers — the specified SCIM
// protocol version is not supported.
func ErrInvalidVers(format string, args ...any) *Error {
	return newError(statusBadRequest, ScimTypeInvalidVers, format, args...)
}

// ErrSensitive: RFC 7644 §3.12 and §7.5.2, 403 sensitive — the request
// carried sensitive information (for example in the URI) and is refused.
func ErrSensitive(format string, args ...any) *Error {
	return newError(statusForbidden, ScimTypeSensitive, format, args...)
}

// ErrTooLarge: 413 tooLarge — the request body or bulk request exceeds the
// limit advertised in ServiceProviderConfig (RFC 7644 §3.7.4).
func ErrTooLarge(format string, args ...any) *Error {
	return newError(statusRequestEntityTooLarge, ScimTypeTooLarge, format, args...)
}

// ErrNotFound: RFC 7644 §3.12, 404 — the resource does not exist.
func ErrNotFound(format string, args ...any) *Error {
	return newError(statusNotFound, "", format, args...)
}

// ErrForbidden: RFC 7644 §3.12, 403 without a scimType — the client may
// not perform the operation (for example on a disabled endpoint).
func ErrForbidden(format string, args ...any) *Error {
	return newError(statusForbidden, "", format, args...)
}

// ErrMethodNotAllowed: 405 — the endpoint exists but does not support the
// HTTP method (RFC 7644 §3.2 lists the methods of each endpoint).
func ErrMethodNotAllowed(format string, args ...any) *Error {
	return newError(statusMethodNotAllowed, "", format, args...)
}

// ErrConflict: RFC 7644 §3.12, 409 without a scimType — the request
// conflicts with the current state of the resource (use ErrUniqueness for a
// duplicate userName or displayName).
func ErrConflict(format string, args ...any) *Error {
	return newError(statusConflict, "", format, args...)
}

// ErrPreconditionFailed: RFC 7644 §3.12 and §3.14, 412 — an If-Match
// version did not match the resource's current version.
func ErrPreconditionFailed(format string, args ...any) *Error {
	return newError(statusPreconditionFailed, "", format, args...)
}

// ErrPayloadTooLarge: RFC 7644 §3.12, 413 without a scimType.
func ErrPayloadTooLarge(format string, args ...any) *Error {
	return newError(statusRequestEntityTooLarge, "", format, args...)
}

// ErrUnsupportedMediaType: 415 — the request body is neither
// application/scim+json nor application/json (RFC 7644 §3.1, §8.1).
func ErrUnsupportedMediaType(format string, args ...any) *Error {
	return newError(statusUnsupportedMediaType, "", format, args...)
}

// ErrUnauthorized: RFC 7644 §3.12, 401 — authorization failure.
func ErrUnauthorized(format string, args ...any) *Error {
	return newError(statusUnauthorized, "", format, args...)
}

// ErrTooManyRequests: 429 — the client exceeded its rate limit; the handler
// adds Retry-After.
func ErrTooManyRequests(format string, args ...any) *Error {
	return newError(statusTooManyRequests, "", format, args...)
}

// ErrNotImplemented: RFC 7644 §3.12, 501 — the operation is not supported
// (for example /Me, RFC 7644 §3.11).
func ErrNotImplemented(format string, args ...any) *Error {
	return newError(statusNotImplemented, "", format, args...)
}

// ErrServiceUnavailable: 503 — the backing store (the Kubernetes API) is
// unavailable; the handler adds Retry-After.
func ErrServiceUnavailable(format string, args ...any) *Error {
	return newError(statusServiceUnavailable, "", format, args...)
}
