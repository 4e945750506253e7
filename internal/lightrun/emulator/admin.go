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

package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// adminRoutes builds the emulator's own endpoints under /_emulator/:
//
//	GET    /_emulator/healthz                          liveness, no API key needed
//	GET    /_emulator/faults                           current faults
//	PUT    /_emulator/faults                           replace faults (Faults, plus "outageFor": "30s")
//	DELETE /_emulator/faults                           clear faults
//	GET    /_emulator/settings                         login method, RBAC, built-in SCIM, rate limit
//	PATCH  /_emulator/settings                         change some settings (SettingsPatch)
//	GET    /_emulator/state                            the whole company (State)
//	PUT    /_emulator/state                            replace the company
//	DELETE /_emulator/state                            reset to a new company
//	GET    /_emulator/requests                         the request log
//	DELETE /_emulator/requests                         empty the request log
//	GET    /_emulator/violations                       logged responses that broke the spec
//	GET    /_emulator/conformance                      counts of invalid requests, invalid responses, undeclared answers (Conformance)
//	DELETE /_emulator/conformance                      reset those counts
//	PUT    /_emulator/agent-pools/{id}/live-agents     {"count": n}
//
// All but healthz need a bearer API key of the API, of either level. These calls are
// neither faulted, rate limited, nor written to the request log.
func (e *Emulator) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+adminPrefix+"/healthz", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	authed := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if e.keyLevel(r) == levelNone {
				adminReply(w, http.StatusUnauthorized, errorBody{Message: "401 Unauthorized"})
				return
			}
			h(w, r)
		})
	}
	authed("GET "+adminPrefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, e.Faults())
	})
	authed("PUT "+adminPrefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Faults
			OutageFor Duration `json:"outageFor"`
		}
		if !readAdminBody(w, r, &req) {
			return
		}
		if req.OutageFor > 0 {
			now := time.Now()
			req.Outages = append(req.Outages, Window{Start: now, End: now.Add(time.Duration(req.OutageFor))})
		}
		if err := e.SetFaults(req.Faults); err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		adminReply(w, http.StatusOK, e.Faults())
	})
	authed("DELETE "+adminPrefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		e.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	authed("GET "+adminPrefix+"/settings", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, e.Settings())
	})
	authed("PATCH "+adminPrefix+"/settings", func(w http.ResponseWriter, r *http.Request) {
		var p SettingsPatch
		if !readAdminBody(w, r, &p) {
			return
		}
		if err := e.ApplySettings(p); err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		adminReply(w, http.StatusOK, e.Settings())
	})
	authed("GET "+adminPrefix+"/state", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.State()
		if err != nil {
			adminReply(w, http.StatusInternalServerError, errorBody{Message: err.Error()})
			return
		}
		adminReply(w, http.StatusOK, s)
	})
	authed("PUT "+adminPrefix+"/state", func(w http.ResponseWriter, r *http.Request) {
		var s State
		if !readAdminBody(w, r, &s) {
			return
		}
		if err := e.ReplaceState(s); err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	authed("DELETE "+adminPrefix+"/state", func(w http.ResponseWriter, r *http.Request) {
		if err := e.Reset(); err != nil {
			adminReply(w, http.StatusInternalServerError, errorBody{Message: err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	authed("GET "+adminPrefix+"/requests", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, nonNilRequests(e.Requests()))
	})
	authed("DELETE "+adminPrefix+"/requests", func(w http.ResponseWriter, r *http.Request) {
		e.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	authed("GET "+adminPrefix+"/violations", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, nonNilRequests(e.Violations()))
	})
	authed("GET "+adminPrefix+"/conformance", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusOK, e.Conformance())
	})
	authed("DELETE "+adminPrefix+"/conformance", func(w http.ResponseWriter, r *http.Request) {
		e.ResetConformance()
		w.WriteHeader(http.StatusNoContent)
	})
	authed("PUT "+adminPrefix+"/agent-pools/{id}/live-agents", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Count int64 `json:"count"`
		}
		if !readAdminBody(w, r, &req) {
			return
		}
		if err := e.SetLiveAgents(r.PathValue("id"), req.Count); err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(adminPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		adminReply(w, http.StatusNotFound, errorBody{Message: fmt.Sprintf("No emulator endpoint %s %s.", r.Method, r.URL.Path)})
	})
	return mux
}

func nonNilRequests(rs []Request) []Request {
	if rs == nil {
		return []Request{}
	}
	return rs
}

// readAdminBody decodes a JSON body strictly (unknown fields are refused, so a
// misspelt fault does not silently do nothing) and answers 400 when it cannot.
func readAdminBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		adminReply(w, http.StatusBadRequest, errorBody{Message: "decoding the body: " + err.Error()})
		return false
	}
	return true
}

func adminReply(w http.ResponseWriter, status int, body any) {
	data, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
