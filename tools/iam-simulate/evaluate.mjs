// Decide each request of tests/permissions with @cloud-copilot/iam-simulate (AWS's evaluation
// logic: explicit deny, allow, implicit deny; actions, resource types and ARNs validated against
// the AWS service authorization reference it ships).
//
// stdin:  {"account": "...", "requests": [{"id", "action", "resource", "policies": [{"name", "policy"}],
//           "resourcePolicy"?: {...}}]}
// A request is made over TLS (aws:SecureTransport), as the SDK makes it.
// stdout: [{"id", "decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Invalid",
//           "unvalidated"?: true, "error"?: "..."}]
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

function simulationOf(request, resource) {
  return {
    request: {
      principal: `arn:aws:iam::${input.account}:role/function`,
      action: request.action,
      resource: { resource, accountId: input.account },
      contextVariables: { 'aws:SecureTransport': 'true' }
    },
    identityPolicies: request.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {})
  }
}

const answers = []
for (const request of input.requests) {
  let simulation = simulationOf(request, request.resource)
  let result = await runSimulation(simulation, {})
  if (result.resultType === 'error' && result.errors.message === 'must.use.wildcard') {
    // The action has no resource-level permission (sns:CreatePlatformEndpoint, states:SendTaskSuccess):
    // IAM authorises it on "*", whatever the request names.
    simulation = simulationOf(request, '*')
    result = await runSimulation(simulation, {})
  }
  if (result.resultType !== 'error') {
    answers.push({ id: request.id, decision: result.overallResult })
  } else if (result.errors.message === 'no.resource.types') {
    // The reference knows no resource type for this ARN (an SNS mobile-push endpoint, which
    // sns:Publish is authorised on): evaluate the statements without that validation.
    const decision = runUnsafeSimulation(simulation, {})
    answers.push({ id: request.id, decision, unvalidated: true })
  } else {
    answers.push({ id: request.id, decision: 'Invalid', error: JSON.stringify(result.errors) })
  }
}
process.stdout.write(JSON.stringify(answers))
