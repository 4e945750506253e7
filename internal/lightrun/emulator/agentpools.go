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
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// agentPoolDTO is AgentPoolPublicApiDTO.
type agentPoolDTO struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	AgentsEnabled   bool   `json:"agentsEnabled"`
	LiveAgentsCount int64  `json:"liveAgentsCount"`
	CreatedBy       string `json:"createdBy,omitempty"`
	CreatedDate     string `json:"createdDate,omitempty"`
}

// agentPoolBody is CreateOrUpdateAgentPoolPublicDto.
type agentPoolBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// poolSortable: "Sortable fields: name, description, createdBy, createdDate, agentsEnabled."
var poolSortable = map[string]comparator[*AgentPool]{
	sortByName:      func(a, b *AgentPool) int { return compareFold(a.Name, b.Name) },
	"description":   func(a, b *AgentPool) int { return compareFold(a.Description, b.Description) },
	sortByCreatedBy: func(a, b *AgentPool) int { return compareFold(a.CreatedBy, b.CreatedBy) },
	"createdDate":   func(a, b *AgentPool) int { return compareTime(a.CreatedDate, b.CreatedDate) },
	"agentsEnabled": func(a, b *AgentPool) int { return compareBool(a.AgentsEnabled, b.AgentsEnabled) },
}

func poolOf(p *AgentPool) agentPoolDTO {
	return agentPoolDTO{
		ID: p.ID, Name: p.Name, Description: p.Description, AgentsEnabled: p.AgentsEnabled,
		LiveAgentsCount: p.LiveAgentsCount, CreatedBy: p.CreatedBy, CreatedDate: timestamp(p.CreatedDate),
	}
}

// checkPool applies the rules of a create or update: a non-blank name, unique
// among pools case-insensitively (an assumption: the spec declares no 409 for
// pools, but two pools of one name could not be told apart by the operator).
func (e *Emulator) checkPool(req *agentPoolBody, self *AgentPool) *response {
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		resp := failf(http.StatusBadRequest, "Agent pool name must not be blank")
		return &resp
	}
	if other := e.st.poolNamed(req.Name); other != nil && other != self {
		resp := e.orBadRequest(failf(http.StatusConflict, "An agent pool named %s already exists", other.Name))
		return &resp
	}
	return nil
}

func (e *Emulator) findPool(r *http.Request) (*AgentPool, *response) {
	p := e.st.poolsByID[r.PathValue("id")]
	if p == nil {
		resp := failf(http.StatusNotFound, "Agent pool not found.")
		return nil, &resp
	}
	return p, nil
}

func (e *Emulator) listAgentPools(r *http.Request, _ []byte) response {
	q := r.URL.Query()
	p, err := parsePaging(q, e.opts.MaxPageSize)
	if err != nil {
		return refuse("%v", err)
	}
	specs, err := parseSort(q["sort"], poolSortable)
	if err != nil {
		return refuse("%v", err)
	}
	// "Filter agent pools by their name." Read as a case-insensitive substring
	// match (an assumption), the looser reading: a client that needs one pool
	// must still pick the exact name out of the result.
	name := strings.ToLower(q.Get("name"))

	e.mu.Lock()
	defer e.mu.Unlock()
	var pools []*AgentPool
	for _, pool := range e.st.AgentPools {
		if name == "" || strings.Contains(strings.ToLower(pool.Name), name) {
			pools = append(pools, pool)
		}
	}
	sortItems(pools, specs, poolSortable, func(p *AgentPool) uint64 { return p.Seq })
	return reply(http.StatusOK, pageOf(pools, p, poolOf))
}

func (e *Emulator) createAgentPool(_ *http.Request, body []byte) response {
	var req agentPoolBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if bad := e.checkPool(&req, nil); bad != nil {
		return *bad
	}
	pool := &AgentPool{
		ID: uuid.NewString(), Name: req.Name, Description: req.Description, AgentsEnabled: true,
		CreatedBy: e.opts.ActorEmail, CreatedDate: time.Now().UTC(), Seq: e.st.next(),
	}
	e.st.addPool(pool)
	e.markDirty()
	return reply(http.StatusCreated, poolOf(pool))
}

func (e *Emulator) getAgentPool(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	pool, bad := e.findPool(r)
	if bad != nil {
		return *bad
	}
	return reply(http.StatusOK, poolOf(pool))
}

func (e *Emulator) updateAgentPool(r *http.Request, body []byte) response {
	var req agentPoolBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pool, bad := e.findPool(r)
	if bad != nil {
		return *bad
	}
	if bad := e.checkPool(&req, pool); bad != nil {
		return *bad
	}
	pool.Name, pool.Description = req.Name, req.Description
	e.markDirty()
	return reply(http.StatusOK, poolOf(pool))
}

func (e *Emulator) deleteAgentPool(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	pool, bad := e.findPool(r)
	if bad != nil {
		return *bad
	}
	if pool.Default {
		return failf(http.StatusForbidden, "Default agent pool can not be deleted.")
	}
	if pool.LiveAgentsCount > 0 {
		return failf(http.StatusConflict, "There are live agents in the pool.")
	}
	e.st.deletePool(pool)
	e.markDirty()
	return noContent()
}
