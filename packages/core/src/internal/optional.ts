/**
 * `{ key: value }` when the value is defined, `{}` otherwise: how optional fields are spread into
 * objects under `exactOptionalPropertyTypes` (an `undefined` value must not become a present key).
 */
export const optionalField = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
