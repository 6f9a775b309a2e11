import { z } from 'zod';

/**
 * The upload bundle: one tus upload carrying many DICOM instances (a 500-slice CT is 500 small
 * files; one upload each would cost several round trips per file on a practice's internet line).
 *
 * Format: a POSIX tar stream. The first member is `manifest.json` (this schema); every other member
 * is one Part-10 file, named as in the manifest. The manifest's SHA-256 and size per member let the
 * cloud verify each instance individually and acknowledge it with its own receipt.
 */
export const BUNDLE_FORMAT = 'vetpacs-bundle/1';
export const MANIFEST_NAME = 'manifest.json';
/** Upload-Metadata `type` of a bundle upload (a single Part-10 instance uses `instance`). */
export const BUNDLE_UPLOAD_TYPE = 'bundle';

export const manifestEntrySchema = z.object({
  /** Member name inside the tar: 1–100 chars of [A-Za-z0-9._-] (never a path). */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'member names are plain file names'),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256'),
});

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  instances: z.array(manifestEntrySchema).min(1).max(100_000),
});

export type BundleManifest = z.infer<typeof manifestSchema>;
export type BundleManifestEntry = z.infer<typeof manifestEntrySchema>;
