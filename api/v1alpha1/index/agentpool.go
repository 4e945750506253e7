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
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

var (
	// AgentPoolIdentityConfig indexes AgentPools by IdentityConfig name.
	AgentPoolIdentityConfig = Field{Name: "agentPool.identityConfig"}
	// AgentPoolGroup indexes AgentPools by every SCIM group display name in
	// spec.members.groups, folded like ScimGroupDisplayName.
	AgentPoolGroup = TenantField{Name: "agentPool.group", Folded: true}
	// AgentPoolUserName indexes AgentPools by every userName in
	// spec.members.userNames, folded like a ScimUser's userName.
	AgentPoolUserName = TenantField{Name: "agentPool.userName", Folded: true}
	// AgentPoolName indexes AgentPools by Lightrun pool name, folded: an
	// IdentityConfig's spec.defaultAgentPool names its pool without regard
	// to case.
	AgentPoolName = TenantField{Name: "agentPool.poolName", Folded: true}
)

func agentPoolIndexes() []registration {
	pool := func(fn func(p *v1.AgentPool) []string) client.IndexerFunc {
		return func(o client.Object) []string { return fn(o.(*v1.AgentPool)) }
	}
	return []registration{
		{&v1.AgentPool{}, AgentPoolIdentityConfig.Name, pool(func(p *v1.AgentPool) []string {
			return []string{p.Spec.IdentityConfigRef.Name}
		})},
		{&v1.AgentPool{}, AgentPoolGroup.Name, pool(func(p *v1.AgentPool) []string {
			return AgentPoolGroup.keys(p.Spec.IdentityConfigRef.Name, p.Spec.Members.Groups...)
		})},
		{&v1.AgentPool{}, AgentPoolUserName.Name, pool(func(p *v1.AgentPool) []string {
			return AgentPoolUserName.keys(p.Spec.IdentityConfigRef.Name, p.Spec.Members.UserNames...)
		})},
		{&v1.AgentPool{}, AgentPoolName.Name, pool(func(p *v1.AgentPool) []string {
			return AgentPoolName.keys(p.Spec.IdentityConfigRef.Name, p.Spec.PoolName)
		})},
	}
}
