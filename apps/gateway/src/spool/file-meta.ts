import { tagNumber } from '@vetpacs/dicom';

/** This gateway's Implementation Class UID (a UUID-derived UID, PS3.5 §B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.267239847626610302609356470171560485773';
export const IMPLEMENTATION_VERSION = 'VETPACS_GW_1';

function element(tag: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(vr === 'OB' ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (vr === 'OB') head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** UI values pad with NUL, text VRs with a space, to an even length (PS3.5 §6.2). */
function text(value: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(value.length % 2 ? value + pad : value, 'latin1');
}

/**
 * Preamble + 'DICM' + File Meta Information (PS3.10 §7.1) for a data set received over the network.
 * A C-STORE carries only the data set (PS3.7 §9.1.1): the meta group is written here, from the
 * negotiated transfer syntax and the command's Affected SOP Class/Instance UIDs. The data set bytes
 * that follow are exactly the bytes the modality sent.
 */
export function part10Header(m: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; sourceAeTitle?: string }): Buffer {
  const body = Buffer.concat([
    element(tagNumber('FileMetaInformationVersion'), 'OB', Buffer.from([0, 1])),
    element(tagNumber('MediaStorageSOPClassUID'), 'UI', text(m.sopClassUid, '\0')),
    element(tagNumber('MediaStorageSOPInstanceUID'), 'UI', text(m.sopInstanceUid, '\0')),
    element(tagNumber('TransferSyntaxUID'), 'UI', text(m.transferSyntaxUid, '\0')),
    element(tagNumber('ImplementationClassUID'), 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(tagNumber('ImplementationVersionName'), 'SH', text(IMPLEMENTATION_VERSION, ' ')),
    ...(m.sourceAeTitle ? [element(tagNumber('SourceApplicationEntityTitle'), 'AE', text(m.sourceAeTitle, ' '))] : []),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(tagNumber('FileMetaInformationGroupLength'), 'UL', groupLength), body]);
}
