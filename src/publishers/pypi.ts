export { PypiPublishError } from "./pypi-errors.js";
export { type ExistingFilesRequest, existingFiles } from "./pypi-existing-files.js";
export type { FetchFunction } from "./pypi-http.js";
export { type PackageIndex, PYPI, packageIndexAt, TEST_PYPI } from "./pypi-index.js";
export {
  decodeJwtClaims,
  type GithubOidcClaims,
  type TrustedPublisherFields,
  trustedPublisherFields,
} from "./pypi-publisher-claims.js";
export { type MintUploadTokenOptions, mintUploadToken } from "./pypi-trusted-publishing.js";
export {
  type LocalDistribution,
  planUploads,
  type UploadConflict,
  type UploadPlan,
  uploadConflictError,
} from "./pypi-upload-plan.js";
export { UploadToken } from "./pypi-upload-token.js";
export { explainUvPublishFailure } from "./pypi-uv-failure.js";
