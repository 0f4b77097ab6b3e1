// The apiserver's ?labelSelector= and ?fieldSelector=: parsing, validation, matching, and the
// 400 a selector it cannot use is answered with.

export {
  BUILTIN_FIELD_SELECTORS,
  builtinFieldLabels,
  customResourceFieldLabels,
  type FieldLabels,
  type FieldOperator,
  type FieldRequirement,
  type FieldSelector,
  fieldValue,
  parseFieldSelector,
} from "./field-selector.js";
export {
  type LabelOperator,
  type LabelRequirement,
  type LabelSelector,
  parseLabelSelector,
} from "./label-selector.js";
export { SelectorError } from "./selector-error.js";
