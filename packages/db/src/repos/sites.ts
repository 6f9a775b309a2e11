/**
 * Sites (branches) and the PatientName conventions their devices use. All functions are scoped by
 * practiceId: a site id from another practice behaves exactly like an unknown id.
 */
import type { DbClient } from '../client';
import {
  type DeviceNameStyle,
  PatientNameStyle,
  type Site,
} from '../generated/prisma/client';
import { type Actor, recordAudit } from './audit';
import { conflictAs, RepoError } from './errors';
import { inTransaction } from './tx';

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Input for {@link createSite}. `code` is short and stable (used by the CLI and gateways). */
export interface CreateSiteInput {
  name: string;
  code: string;
  patientNameStyle?: PatientNameStyle;
}

/** Creates a site. Throws RepoError INVALID or CONFLICT (code already used in this practice). */
export function createSite(db: DbClient, practiceId: string, input: CreateSiteInput, actor: Actor): Promise<Site> {
  if (!CODE_RE.test(input.code)) {
    throw new RepoError('INVALID', `invalid site code "${input.code}": letters, digits, - and _, up to 32`);
  }
  if (!input.name.trim()) throw new RepoError('INVALID', 'site name must not be empty');
  return inTransaction(db, (tx) =>
    conflictAs(`site code "${input.code}" is already used in this practice`, async () => {
      const site = await tx.site.create({
        data: {
          practiceId,
          name: input.name.trim(),
          code: input.code,
          patientNameStyle: input.patientNameStyle ?? PatientNameStyle.OWNER_PET,
        },
      });
      await recordAudit(tx, {
        practiceId,
        actor,
        action: 'site.create',
        entityType: 'site',
        entityId: site.id,
        details: { name: site.name, code: site.code, patientNameStyle: site.patientNameStyle },
      });
      return site;
    }),
  );
}

/** The practice's sites, by code. */
export function listSites(db: DbClient, practiceId: string): Promise<Site[]> {
  return db.site.findMany({ where: { practiceId }, orderBy: { code: 'asc' } });
}

/** One site of the practice; null when absent (or another practice's). */
export function getSite(db: DbClient, practiceId: string, siteId: string): Promise<Site | null> {
  return db.site.findFirst({ where: { id: siteId, practiceId } });
}

/** One site by its code; null when absent. */
export function getSiteByCode(db: DbClient, practiceId: string, code: string): Promise<Site | null> {
  return db.site.findUnique({ where: { practiceId_code: { practiceId, code } } });
}

/** Renames a site or changes its PatientName style. Null when the site is not the practice's. */
export function updateSite(
  db: DbClient,
  practiceId: string,
  siteId: string,
  changes: { name?: string; patientNameStyle?: PatientNameStyle },
  actor: Actor,
): Promise<Site | null> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.site.updateMany({
      where: { id: siteId, practiceId },
      data: { name: changes.name?.trim(), patientNameStyle: changes.patientNameStyle },
    });
    if (!count) return null;
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'site.update',
      entityType: 'site',
      entityId: siteId,
      details: { ...changes },
    });
    return tx.site.findFirst({ where: { id: siteId, practiceId } });
  });
}

/**
 * Sets (creates or replaces) the PatientName style of one sending device, identified by its
 * calling AE title. `siteId`, when given, must be one of the practice's sites.
 */
export function setDeviceNameStyle(
  db: DbClient,
  practiceId: string,
  input: { callingAeTitle: string; style: PatientNameStyle; siteId?: string | null },
  actor: Actor,
): Promise<DeviceNameStyle> {
  const ae = input.callingAeTitle.trim();
  if (!ae || ae.length > 16) throw new RepoError('INVALID', 'calling AE title must be 1–16 characters (PS3.5 AE VR)');
  return inTransaction(db, async (tx) => {
    if (input.siteId && !(await tx.site.findFirst({ where: { id: input.siteId, practiceId }, select: { id: true } }))) {
      throw new RepoError('NOT_FOUND', 'site not found');
    }
    const row = await tx.deviceNameStyle.upsert({
      where: { practiceId_callingAeTitle: { practiceId, callingAeTitle: ae } },
      create: { practiceId, callingAeTitle: ae, style: input.style, siteId: input.siteId ?? null },
      update: { style: input.style, siteId: input.siteId ?? null },
    });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'device_name_style.set',
      entityType: 'device_name_style',
      entityId: row.id,
      details: { callingAeTitle: ae, style: input.style, siteId: input.siteId ?? null },
    });
    return row;
  });
}

/** The practice's per-device overrides. */
export function listDeviceNameStyles(db: DbClient, practiceId: string): Promise<DeviceNameStyle[]> {
  return db.deviceNameStyle.findMany({ where: { practiceId }, orderBy: { callingAeTitle: 'asc' } });
}

/** Removes a device override; false when there was none in this practice. */
export function deleteDeviceNameStyle(
  db: DbClient,
  practiceId: string,
  callingAeTitle: string,
  actor: Actor,
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const row = await tx.deviceNameStyle.findUnique({
      where: { practiceId_callingAeTitle: { practiceId, callingAeTitle } },
    });
    if (!row) return false;
    await tx.deviceNameStyle.delete({ where: { id: row.id } });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'device_name_style.delete',
      entityType: 'device_name_style',
      entityId: row.id,
      details: { callingAeTitle },
    });
    return true;
  });
}

/**
 * The PatientName style to parse an incoming instance with: the sending device's override, else
 * the site's style, else OWNER_PET (the most common convention in veterinary PACS).
 */
export async function resolvePatientNameStyle(
  db: DbClient,
  practiceId: string,
  source: { siteId?: string | null; callingAeTitle?: string | null },
): Promise<PatientNameStyle> {
  if (source.callingAeTitle) {
    const device = await db.deviceNameStyle.findUnique({
      where: { practiceId_callingAeTitle: { practiceId, callingAeTitle: source.callingAeTitle.trim() } },
      select: { style: true },
    });
    if (device) return device.style;
  }
  if (source.siteId) {
    const site = await db.site.findFirst({
      where: { id: source.siteId, practiceId },
      select: { patientNameStyle: true },
    });
    if (site) return site.patientNameStyle;
  }
  return PatientNameStyle.OWNER_PET;
}
