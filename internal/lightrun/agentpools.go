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
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// AgentPool is a Lightrun agent pool (AgentPoolPublicApiDTO).
type AgentPool struct {
	ID              string    `json:"id,omitempty"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	AgentsEnabled   bool      `json:"agentsEnabled"`
	LiveAgentsCount int64     `json:"liveAgentsCount,omitempty"`
	CreatedBy       string    `json:"createdBy,omitempty"`
	CreatedDate     Timestamp `json:"createdDate,omitzero"`
}

// AgentPoolRequest is the body of POST /api/v1/agent-pools and PUT
// /api/v1/agent-pools/{id} (CreateOrUpdateAgentPoolPublicDto). Description is
// always sent (up to 255 characters), so an update clears a description that is
// left empty.
type AgentPoolRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ListAgentPoolsOptions are the query parameters of GET /api/v1/agent-pools.
// Sortable properties: name, description, createdBy, createdDate, agentsEnabled.
type ListAgentPoolsOptions struct {
	// Name filters pools by name. The spec does not say whether the match is
	// exact; FindAgentPool picks the exact match from the result.
	Name string
	PageOptions
}

func (o ListAgentPoolsOptions) query() url.Values {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	o.apply(q)
	return q
}

// ListAgentPools returns one page of agent pools.
func (c *Client) ListAgentPools(ctx context.Context, opts ListAgentPoolsOptions) (*Page[AgentPool], error) {
	cl := newCall(http.MethodGet, "/api/v1/agent-pools")
	cl.query = opts.query()
	page := &Page[AgentPool]{}
	cl.out = page
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return page, nil
}

// AllAgentPools iterates over the pools matching opts on every page from opts.Page on.
func (c *Client) AllAgentPools(ctx context.Context, opts ListAgentPoolsOptions) iter.Seq2[AgentPool, error] {
	return paginate(ctx, opts.PageOptions, func(ctx context.Context, p PageOptions) (*Page[AgentPool], error) {
		o := opts
		o.PageOptions = p
		return c.ListAgentPools(ctx, o)
	})
}

// FindAgentPool returns the pool with this name: an exact match, else the only
// case-insensitive one. No match gives a NotFound error.
func (c *Client) FindAgentPool(ctx context.Context, name string) (*AgentPool, error) {
	var folded []AgentPool
	for p, err := range c.AllAgentPools(ctx, ListAgentPoolsOptions{Name: name, PageOptions: PageOptions{Size: 100}}) {
		if err != nil {
			return nil, err
		}
		if p.Name == name {
			return &p, nil
		}
		if strings.EqualFold(p.Name, name) {
			folded = append(folded, p)
		}
	}
	if len(folded) == 1 {
		return &folded[0], nil
	}
	return nil, &Error{Kind: KindNotFound, Method: http.MethodGet, Path: "/api/v1/agent-pools",
		Message: fmt.Sprintf("no agent pool named %q", name)}
}

// GetAgentPool returns the pool with this id.
func (c *Client) GetAgentPool(ctx context.Context, id string) (*AgentPool, error) {
	cl := newCall(http.MethodGet, "/api/v1/agent-pools/%s", id)
	if id == "" {
		return nil, invalidArgument(cl.method, cl.path, "agent pool id is required")
	}
	p := &AgentPool{}
	cl.out = p
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateAgentPool creates an agent pool.
func (c *Client) CreateAgentPool(ctx context.Context, req AgentPoolRequest) (*AgentPool, error) {
	cl := newCall(http.MethodPost, "/api/v1/agent-pools")
	cl.body = req
	p := &AgentPool{}
	cl.out = p
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return p, nil
}

// UpdateAgentPool replaces the name and description of the pool with this id.
func (c *Client) UpdateAgentPool(ctx context.Context, id string, req AgentPoolRequest) (*AgentPool, error) {
	cl := newCall(http.MethodPut, "/api/v1/agent-pools/%s", id)
	if id == "" {
		return nil, invalidArgument(cl.method, cl.path, "agent pool id is required")
	}
	cl.body = req
	p := &AgentPool{}
	cl.out = p
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return p, nil
}

// DeleteAgentPool deletes the pool with this id. The default pool cannot be
// deleted (Forbidden), nor a pool with live agents (Conflict).
func (c *Client) DeleteAgentPool(ctx context.Context, id string) error {
	cl := newCall(http.MethodDelete, "/api/v1/agent-pools/%s", id)
	if id == "" {
		return invalidArgument(cl.method, cl.path, "agent pool id is required")
	}
	return c.do(ctx, cl)
}
