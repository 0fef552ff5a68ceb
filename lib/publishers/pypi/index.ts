export { PypiPublishError } from "./errors.js";
export { type ExistingFilesRequest, existingFiles } from "./existing-files.js";
export type { FetchFunction } from "./http.js";
export { type PackageIndex, PYPI, packageIndexAt, TEST_PYPI } from "./package-index.js";
export {
  type IndexOverrides,
  type IndexPublication,
  type PypiDestination,
  type PythonCredentials,
  publishToIndex,
  pypiDestinations,
  requireUpload,
  type UploadableDist,
} from "./publish.js";
export {
  decodeJwtClaims,
  type GithubOidcClaims,
  type TrustedPublisherFields,
  trustedPublisherFields,
} from "./publisher-claims.js";
export { type MintUploadTokenOptions, mintUploadToken } from "./trusted-publishing.js";
export {
  type LocalDistribution,
  planUploads,
  type UploadConflict,
  type UploadPlan,
  uploadConflictError,
} from "./upload-plan.js";
export { UploadToken } from "./upload-token.js";
export { explainUvPublishFailure } from "./uv-failure.js";
