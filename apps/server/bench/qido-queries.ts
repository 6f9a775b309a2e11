/**
 * The QIDO-RS query types of the scale benchmarks (qido-scale.ts, qido-ab.ts) against the synthetic
 * practice of seed-index.ts: the types of ../shared/bench/bench_dicomweb.py plus OHIF's study-list
 * requests. Deterministic: the same seed gives the same URLs.
 */
export function qidoQueryTypes(studies: number, seed = 42): Record<string, () => string> {
  let state = seed;
  const rnd = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const day = (offset: number) => new Date(Date.UTC(2019, 0, 1) + offset * 86400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const OWNER_PREFIXES = ['Smi', 'Jon', 'Mil', 'Mül', 'Bro', 'Gar', 'Mar', 'Dub', 'Ros', 'Nov'];
  const OHIF_FIELDS = '00081030%2C00080060%2C00080061%2C00100010%2C00100020%2C00100030%2C00200010%2C00080050%2C00080020';
  return {
    patient_name_wildcard: () => `/studies?PatientName=${encodeURIComponent(`${OWNER_PREFIXES[rnd(OWNER_PREFIXES.length)]}*`)}`,
    patient_name_wildcard_limit101: () =>
      `/studies?limit=101&offset=0&fuzzymatching=false&includefield=${OHIF_FIELDS}&PatientName=${encodeURIComponent(`*${OWNER_PREFIXES[rnd(OWNER_PREFIXES.length)]!.toLowerCase()}*`)}`,
    patient_id: () => `/studies?00100020=SYN${1 + rnd(Math.round(studies / 3))}`,
    study_date_range_30d: () => {
      const d = rnd(2190 - 30);
      return `/studies?StudyDate=${day(d)}-${day(d + 30)}`;
    },
    modality_limit50: () => `/studies?ModalitiesInStudy=${['DX', 'CR', 'US', 'CT', 'MR'][rnd(5)]}&limit=50`,
    modality_and_date_90d: () => {
      const d = rnd(2190 - 90);
      return `/studies?ModalitiesInStudy=${['DX', 'US', 'CT'][rnd(3)]}&StudyDate=${day(d)}-${day(d + 90)}`;
    },
    paging_limit50_offset: () => `/studies?limit=50&offset=${rnd(studies)}`,
    ohif_study_list: () => `/studies?limit=101&offset=0&fuzzymatching=false&includefield=${OHIF_FIELDS}`,
    series_in_study: () => `/studies/2.25.7700${1 + rnd(studies)}/series`,
    instances_in_series: () => {
      const g = 1 + rnd(studies);
      return `/studies/2.25.7700${g}/series/2.25.7700${g}.1/instances`;
    },
  };
}

/** Percentile of an ascending list (nearest rank, as bench_dicomweb.py). */
export const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
