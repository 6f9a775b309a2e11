import { type FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, errorMessage, type Site, type Study, viewerUrl } from '../api';
import { EmptyState, ErrorState, Spinner } from '../components/States';
import { animalLabel, formatDate, StatusBadge, Thumb } from '../components/StudyBits';

const FIELDS = ['q', 'owner', 'pet', 'patientId', 'microchip', 'accession', 'species', 'breed', 'modality', 'from', 'to', 'site'] as const;
type Field = (typeof FIELDS)[number];
const SPECIES = ['Canine', 'Feline', 'Equine', 'Bovine', 'Ovine', 'Caprine', 'Porcine', 'Lagomorph', 'Avian', 'Reptile', 'Rodent', 'Exotic'];
const MODALITIES = ['CR', 'DX', 'US', 'CT', 'MR', 'IO', 'ES', 'XC', 'OT', 'SC'];
const PAGE_SIZE = 25;

interface Page {
  total: number;
  page: number;
  pageSize: number;
  studies: Study[];
}

/** The worklist: newest first, filters held in the URL (shareable; the back button works). */
export function WorklistPage() {
  const [params, setParams] = useSearchParams();
  const [form, setForm] = useState<Record<Field, string>>(() => readForm(params));
  const [data, setData] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sites, setSites] = useState<Site[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [reload, setReload] = useState(0);
  const [loading, setLoading] = useState(true);
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);

  useEffect(() => {
    api<{ sites: Site[] }>('/api/sites')
      .then((r) => setSites(r.sites))
      .catch(() => setSites([]));
  }, []);

  // Back/forward: the form follows the URL.
  useEffect(() => setForm(readForm(params)), [params]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reload` re-runs the same query after "Try again"
  useEffect(() => {
    const ctrl = new AbortController();
    const q = new URLSearchParams(params);
    q.set('pageSize', String(PAGE_SIZE));
    setError(null);
    setLoading(true);
    api<Page>(`/api/studies?${q.toString()}`, { signal: ctrl.signal })
      .then(setData)
      .catch((err) => {
        if (!ctrl.signal.aborted) setError(errorMessage(err));
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [params, reload]);

  function apply(next: Record<Field, string>, newPage = 1) {
    const q = new URLSearchParams();
    for (const f of FIELDS) if (next[f].trim()) q.set(f, next[f].trim());
    if (newPage > 1) q.set('page', String(newPage));
    setParams(q);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    apply(form);
  }

  const set = (f: Field) => (e: { target: { value: string } }) => setForm({ ...form, [f]: e.target.value });
  const setNow = (f: Field) => (e: { target: { value: string } }) => {
    const next = { ...form, [f]: e.target.value };
    setForm(next);
    apply(next);
  };
  const activeFilters = FIELDS.filter((f) => params.get(f)).length;
  const toggle = (uid: string) => setSelected((s) => (s.includes(uid) ? s.filter((x) => x !== uid) : [...s, uid].slice(-2)));

  return (
    <div className="worklist">
      <form className="filters panel" onSubmit={submit} aria-label="Find studies">
        <div className="filters-main">
          <label className="grow">
            <span className="visually-hidden">Search everything</span>
            <input type="search" placeholder="Search pet, owner, patient ID, microchip, accession…" value={form.q} onChange={set('q')} />
          </label>
          <button type="submit" className="btn btn-primary">
            Search
          </button>
          {activeFilters > 0 && (
            <button type="button" className="btn btn-quiet" onClick={() => apply(emptyForm())}>
              Clear filters
            </button>
          )}
        </div>
        <div className="filters-grid">
          <label>
            Owner surname
            <input name="owner" value={form.owner} onChange={set('owner')} placeholder="fuzzy: Smyth finds Smith" />
          </label>
          <label>
            Pet name
            <input name="pet" value={form.pet} onChange={set('pet')} />
          </label>
          <label>
            Patient ID
            <input name="patientId" value={form.patientId} onChange={set('patientId')} />
          </label>
          <label>
            Microchip
            <input name="microchip" inputMode="numeric" value={form.microchip} onChange={set('microchip')} />
          </label>
          <label>
            Accession
            <input name="accession" value={form.accession} onChange={set('accession')} />
          </label>
          <label>
            Species
            <select name="species" value={form.species} onChange={setNow('species')}>
              <option value="">Any</option>
              {SPECIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Breed
            <input name="breed" value={form.breed} onChange={set('breed')} />
          </label>
          <label>
            Modality
            <select name="modality" value={form.modality} onChange={setNow('modality')}>
              <option value="">Any</option>
              {MODALITIES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="date" name="from" value={form.from} onChange={setNow('from')} />
          </label>
          <label>
            To
            <input type="date" name="to" value={form.to} onChange={setNow('to')} />
          </label>
          <label>
            Site
            <select name="site" value={form.site} onChange={setNow('site')}>
              <option value="">All sites</option>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>

      <section className={`panel results${loading ? ' is-loading' : ''}`} aria-labelledby="results-title" aria-busy={loading}>
        <div className="results-head">
          <h1 id="results-title">Studies {data && <span className="count">({data.total.toLocaleString()})</span>}</h1>
          {selected.length === 2 && (
            <a className="btn" href={viewerUrl(selected)}>
              Open 2 studies side by side
            </a>
          )}
        </div>
        {error ? (
          <ErrorState message={error} onRetry={() => setReload((n) => n + 1)} />
        ) : !data ? (
          <Spinner label="Loading studies" />
        ) : data.studies.length === 0 ? (
          <EmptyState title={activeFilters ? 'No studies match these filters' : 'No studies yet'}>
            <p>{activeFilters ? 'Try a shorter name or fewer filters.' : 'Images sent by your gateways or uploaded here appear within seconds.'}</p>
          </EmptyState>
        ) : (
          <>
            <table className="study-table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Compare</span>
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Thumbnail</span>
                  </th>
                  <th scope="col">Patient</th>
                  <th scope="col">Species / breed</th>
                  <th scope="col">Patient ID</th>
                  <th scope="col">Study</th>
                  <th scope="col">Date</th>
                  <th scope="col">Site</th>
                  <th scope="col">Images</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.studies.map((s) => {
                  const { pet, owner } = animalLabel(s);
                  return (
                    <tr key={s.studyInstanceUid} data-study-uid={s.studyInstanceUid}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${pet} ${formatDate(s.studyDate)} to compare`}
                          checked={selected.includes(s.studyInstanceUid)}
                          onChange={() => toggle(s.studyInstanceUid)}
                        />
                      </td>
                      <td>
                        <Thumb url={s.thumbnailUrl} modality={s.modalities[0]} />
                      </td>
                      <td data-label="Patient">
                        <Link to={`/studies/${encodeURIComponent(s.studyInstanceUid)}`} className="pet-name">
                          {pet}
                        </Link>
                        <div className="muted">{owner}</div>
                      </td>
                      <td data-label="Species">
                        {s.patient.species ?? '—'}
                        <div className="muted">{s.patient.breed}</div>
                      </td>
                      <td data-label="Patient ID">
                        {s.patient.patientId}
                        {s.patient.microchip && <div className="muted">chip {s.patient.microchip}</div>}
                      </td>
                      <td data-label="Study">
                        <span className="modality">{s.modalities.join(' ') || '—'}</span> {s.description}
                        {s.accessionNumber && <div className="muted">acc. {s.accessionNumber}</div>}
                      </td>
                      <td data-label="Date">{formatDate(s.studyDate)}</td>
                      <td data-label="Site">{s.site?.name ?? '—'}</td>
                      <td data-label="Images">{s.instanceCount}</td>
                      <td data-label="Status">
                        <StatusBadge status={s.status} verified={s.verifiedInstances} total={s.instanceCount} />
                      </td>
                      <td>
                        <a className="btn btn-small" href={viewerUrl([s.studyInstanceUid])} aria-label={`View images of ${pet}`}>
                          View
                        </a>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <Pager total={data.total} page={page} pageSize={data.pageSize} onPage={(p) => apply(readForm(params), p)} />
          </>
        )}
      </section>
    </div>
  );
}

function Pager({ total, page, pageSize, onPage }: { total: number; page: number; pageSize: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages === 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="btn" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span aria-current="page">
        Page {page} of {pages}
      </span>
      <button type="button" className="btn" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

function emptyForm(): Record<Field, string> {
  return Object.fromEntries(FIELDS.map((f) => [f, ''])) as Record<Field, string>;
}

function readForm(params: URLSearchParams): Record<Field, string> {
  return Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])) as Record<Field, string>;
}
