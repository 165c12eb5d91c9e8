-- Argo CD health check for framefarm.io/RenderJob (Lua 5.1, as Argo CD runs it).
-- Reads the kstatus conditions the operator writes (docs/operator.md, "Status"):
-- Stalled=True is Degraded, Ready=True is Healthy, spec.suspend is Suspended, and anything
-- else (including a status the operator has not written yet) is Progressing, naming the
-- attempt and node.
local hs = {}
local status = obj.status

local function condition(kind)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function is_true(c)
  return c ~= nil and c.status == "True"
end

-- "Reason: message", so the Argo CD UI says why without opening the object.
local function explain(c, fallback)
  if c == nil then
    return fallback
  end
  local reason = c.reason or ""
  local message = c.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= "" then
    return message
  end
  if reason ~= "" then
    return reason
  end
  return fallback
end

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

-- A status older than the spec describes an earlier version of the job.
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local stalled = condition("Stalled")
if is_true(stalled) then
  hs.status = "Degraded"
  hs.message = explain(stalled, "Stalled")
  if status.failedFrames ~= nil then
    hs.message = hs.message .. " (failed frames: " .. status.failedFrames .. ")"
  end
  return hs
end

local ready = condition("Ready")
if is_true(ready) then
  hs.status = "Healthy"
  hs.message = explain(ready, "Rendered")
  return hs
end

if (obj.spec ~= nil and obj.spec.suspend == true) or status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = explain(ready, "Suspended")
  return hs
end

local reconciling = condition("Reconciling")
hs.status = "Progressing"
hs.message = explain(reconciling, status.phase or "Pending")
if status.attempt ~= nil then
  local where = "attempt " .. status.attempt
  if status.nodeName ~= nil then
    where = where .. " on " .. status.nodeName
  end
  hs.message = hs.message .. " (" .. where .. ")"
end
return hs
