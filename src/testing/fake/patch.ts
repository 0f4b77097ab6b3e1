// The three patch types besides server-side apply, as the apiserver's patch handler applies them
// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go). Each function is pure, copies
// its inputs and answers failures with a PatchError carrying the apiserver's status. The caller
// picks the function from the Content-Type, and refuses strategic merge patch on custom resources
// with 415 itself (the CRD handler has no Go struct to read patch metadata from).

export { applyMergePatch } from "./json-merge-patch.js";
export { applyJsonPatch } from "./json-patch.js";
export { PatchError, type PatchErrorReason, type PatchErrorStatus } from "./patch-error.js";
export { applyStrategicMergePatch } from "./strategic-merge-patch.js";
