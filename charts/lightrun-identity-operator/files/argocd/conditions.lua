-- Argo CD health check for the identity.lightrun.com/v1alpha1 kinds whose
-- status has a summary condition: IdentityConfig and AgentPool (Ready) and
-- ScimUser (Synced). Shipped with the lightrun-identity-operator Helm chart;
-- install it under the argocd-cm keys
-- resource.customizations.health.identity.lightrun.com_<Kind> of those three
-- kinds (see docs/gitops.md). One script serves them all, since a check in
-- argocd-cm cannot load another; it uses only Lua's base library, which is all
-- Argo CD opens for such a check.
--
-- Progressing: the operator has not reconciled the latest generation, the
--   object is being deleted, or the summary condition is False for a reason
--   the operator gets past by itself (it retries, or waits for something
--   reported elsewhere).
-- Degraded: the summary condition is False for a reason a person must act on.
-- Suspended (ScimUser): the identity provider deactivated the user, and it is
--   disabled in Lightrun (Synced is True with reason Deprovisioned).
-- Healthy: the summary condition is True; an IdentityConfig adds its user counts.
-- The message is the summary condition's, prefixed with its reason unless Healthy.

local kind = obj.kind or "object"
local summary = "Ready"
if kind == "ScimUser" then
  summary = "Synced"
end

-- Reasons of a False summary condition that resolve without a person.
local waiting = {
  Reconciling = true,
  IdentityConfigNotReady = true,
  BackendUnreachable = true,
  RateLimited = true,
  Deleting = true,
}

local function find(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function result(status, message)
  return { status = status, message = message }
end

local generation = obj.metadata.generation
local status = obj.status
local c = nil
if status ~= nil then
  c = find(status.conditions, summary)
end

if obj.metadata.deletionTimestamp ~= nil then
  local message = "Being deleted."
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    message = "Being deleted: " .. c.message
  end
  return result("Progressing", message)
end
if status == nil or status.observedGeneration == nil then
  return result("Progressing", "Waiting for the operator to reconcile this " .. kind .. ".")
end
if generation ~= nil and status.observedGeneration < generation then
  return result("Progressing", "Waiting for the operator to reconcile generation " .. generation ..
    " (the status is of generation " .. status.observedGeneration .. ").")
end
if c == nil then
  return result("Progressing", "Waiting for the operator to set the " .. summary .. " condition.")
end
if generation ~= nil and c.observedGeneration ~= nil and c.observedGeneration < generation then
  return result("Progressing", "Waiting for the operator to reconcile generation " .. generation ..
    " (the " .. summary .. " condition is of generation " .. c.observedGeneration .. ").")
end

local reason = c.reason or ""
local message = c.message or ""
if c.status == "True" then
  if message == "" then
    message = summary .. "."
  end
  if kind == "ScimUser" and reason == "Deprovisioned" then
    return result("Suspended", message)
  end
  local users = status.users
  if kind == "IdentityConfig" and users ~= nil then
    message = message .. " Users: " .. (users.synced or 0) .. " synced, " .. (users.pending or 0) ..
      " pending, " .. (users.failed or 0) .. " failed."
  end
  return result("Healthy", message)
end
if c.status == "False" and not waiting[reason] then
  return result("Degraded", reason .. ": " .. message)
end
return result("Progressing", reason .. ": " .. message)
