-- Argo CD health check for identity.lightrun.com/v1alpha1 ScimGroup, shipped
-- with the lightrun-identity-operator Helm chart. Install it as the argocd-cm
-- key resource.customizations.health.identity.lightrun.com_ScimGroup (see
-- docs/gitops.md). It uses only Lua's base and table libraries, which Argo CD
-- opens for a health check configured in argocd-cm.
--
-- A ScimGroup has no conditions: the operator only counts its members and the
-- AgentPools that select it, and records the generation it counted.
-- Progressing: the operator has not counted the latest generation, or the
--   object is being deleted.
-- Healthy: the status is of the latest generation; the message says how many
--   members the group has and which AgentPools select it.

local function result(status, message)
  return { status = status, message = message }
end

local generation = obj.metadata.generation
local status = obj.status

if obj.metadata.deletionTimestamp ~= nil then
  return result("Progressing", "Being deleted.")
end
if status == nil or status.observedGeneration == nil then
  return result("Progressing", "Waiting for the operator to count this ScimGroup's members.")
end
if generation ~= nil and status.observedGeneration < generation then
  return result("Progressing", "Waiting for the operator to count generation " .. generation ..
    " (the status is of generation " .. status.observedGeneration .. ").")
end

local message = (status.memberCount or 0) .. " members"
if status.agentPools ~= nil and #status.agentPools > 0 then
  message = message .. "; selected by AgentPools " .. table.concat(status.agentPools, ", ") .. "."
else
  message = message .. "; no AgentPool selects the group."
end
return result("Healthy", message)
