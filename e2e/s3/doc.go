// Package s3 runs the commands on S3: a MinIO server (internal/minio; the
// tests skip without its binary, and fail under REGPRUNE_REQUIRE_S3=1)
// with the registry's own s3 driver.
package s3
