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

package lightrun

import (
	"bytes"
	"encoding/json"
	"time"
)

// Timestamp is a date-time field of a Lightrun object (createdDate,
// lastModifiedDate...). The spec says format: date-time (RFC 3339). A Java
// backend may also send a zone-less local date-time; that is read as UTC. These
// fields are informational, so a value in any other form is read as the zero
// time instead of failing the whole call.
type Timestamp struct {
	time.Time
}

// localDateTime is Java's ISO_LOCAL_DATE_TIME, which has no zone.
const localDateTime = "2006-01-02T15:04:05.999999999"

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	t.Time = time.Time{}
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return nil
	}
	if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = parsed
	} else if parsed, err := time.Parse(localDateTime, s); err == nil {
		t.Time = parsed.UTC()
	}
	return nil
}

// MarshalJSON implements json.Marshaler (RFC 3339, or null for the zero time).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format(time.RFC3339Nano))
}
