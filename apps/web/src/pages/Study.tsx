import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { type AuditEvent, api, errorMessage, type Instance, type Series, type Study, viewerUrl } from '../api';
import { EmptyState, ErrorState, Spinner } from '../components/States';
import { animalLabel, formatBytes, formatDate, personName, StatusBadge, Thumb } from '../components/StudyBits';

type StudyDetail = Study & { series: Series[] };

/** One study: the animal, series with thumbnails, receipts and SHA-256s, priors, audit trail. */
export function StudyPage() {
  const { studyUid = '' } = useParams();
  const [study, setStudy] = useState<StudyDetail | null>(null);
  const [priors, setPriors] = useState<Study[] | null>(null);
  const [audit, setAudit] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    setStudy(null);
    const base = `/api/studies/${encodeURIComponent(studyUid)}`;
    api<StudyDetail>(base)
      .then(setStudy)
      .catch((err) => setError(errorMessage(err)));
    api<{ studies: Study[] }>(`${base}/priors`)
      .then((r) => setPriors(r.studies))
      .catch(() => setPriors([]));
    api<{ events: AuditEvent[] }>(`${base}/audit`)
      .then((r) => setAudit(r.events))
      .catch(() => setAudit([]));
  }, [studyUid]);
  useEffect(load, [load]);

  if (error) return <ErrorState message={error} onRetry={load} />;
  if (!study) return <Spinner label="Loading study" />;
  const { pet, owner } = animalLabel(study);
  const p = study.patient;

  return (
    <div className="study-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Studies</Link> / <span aria-current="page">{pet}</span>
      </nav>
      <section className="panel study-head" aria-labelledby="study-title">
        <div>
          <h1 id="study-title">
            {pet} <span className="muted">{owner}</span>
          </h1>
          <p className="study-sub">
            <span className="modality">{study.modalities.join(' ')}</span> {study.description ?? 'No description'} · {formatDate(study.studyDate)} ·{' '}
            {study.site?.name ?? 'unknown site'}
          </p>
          <dl className="facts">
            <Fact label="Patient ID" value={p.patientId} />
            <Fact label="Microchip" value={p.microchip} />
            <Fact label="Species" value={[p.species, p.speciesGroup && p.speciesGroup !== p.species ? `(${p.speciesGroup})` : null].filter(Boolean).join(' ')} />
            <Fact label="Breed" value={p.breed} />
            <Fact label="Sex" value={[p.sex, p.neutered !== 'UNKNOWN' ? p.neutered.toLowerCase() : null].filter(Boolean).join(', ')} />
            <Fact label="Born" value={formatDate(p.birthDate)} />
            <Fact label="Accession" value={study.accessionNumber} />
            <Fact label="Referring vet" value={personName(study.referringPhysician)} />
            <Fact label="Images" value={`${study.instanceCount} in ${study.seriesCount} series`} />
          </dl>
        </div>
        <div className="study-actions">
          <StatusBadge status={study.status} verified={study.verifiedInstances} total={study.instanceCount} />
          <a className="btn btn-primary" href={viewerUrl([study.studyInstanceUid])}>
            Open in viewer
          </a>
          <a className="btn" href={`/api/studies/${encodeURIComponent(study.studyInstanceUid)}/download`} download>
            Download originals (ZIP + DICOMDIR)
          </a>
        </div>
      </section>

      <section className="panel" aria-labelledby="series-title">
        <h2 id="series-title">Series</h2>
        {study.series.length === 0 ? (
          <EmptyState title="No series yet" />
        ) : (
          <ul className="series-list">
            {study.series.map((s) => (
              <SeriesItem key={s.seriesInstanceUid} studyUid={study.studyInstanceUid} series={s} />
            ))}
          </ul>
        )}
      </section>

      <section className="panel" aria-labelledby="priors-title">
        <h2 id="priors-title">Other studies of {pet} (all sites)</h2>
        {!priors ? (
          <Spinner label="Loading priors" />
        ) : priors.length === 0 ? (
          <EmptyState title="No other studies of this animal" />
        ) : (
          <ul className="priors">
            {priors.map((pr) => (
              <li key={pr.studyInstanceUid}>
                <Thumb url={pr.thumbnailUrl} modality={pr.modalities[0]} size={48} />
                <Link to={`/studies/${encodeURIComponent(pr.studyInstanceUid)}`}>
                  {formatDate(pr.studyDate)} · <span className="modality">{pr.modalities.join(' ')}</span> {pr.description}
                </Link>
                <span className="muted">{pr.site?.name}</span>
                <a className="btn btn-small" href={viewerUrl([study.studyInstanceUid, pr.studyInstanceUid])}>
                  Compare side by side
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit trail</h2>
        {!audit ? (
          <Spinner label="Loading audit trail" />
        ) : audit.length === 0 ? (
          <EmptyState title="No recorded events" />
        ) : (
          <table className="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {audit.map((e) => (
                <tr key={e.id}>
                  <td>{new Date(e.at).toLocaleString()}</td>
                  <td>{e.action}</td>
                  <td>
                    {e.actorType.toLowerCase()} {e.sourceIp && <span className="muted">from {e.sourceIp}</span>}
                  </td>
                  <td className="mono small">{summarise(e.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value || '—'}</dd>
    </div>
  );
}

function summarise(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** A series with its thumbnail; expands to its instances with SHA-256 and receipts. */
function SeriesItem({ studyUid, series }: { studyUid: string; series: Series }) {
  const [open, setOpen] = useState(false);
  const [instances, setInstances] = useState<Instance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = `series-${series.seriesInstanceUid.replace(/\./g, '-')}`;

  function toggle() {
    setOpen(!open);
    if (!instances) {
      api<{ instances: Instance[] }>(`/api/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(series.seriesInstanceUid)}/instances`)
        .then((r) => setInstances(r.instances))
        .catch((err) => setError(errorMessage(err)));
    }
  }

  return (
    <li className="series">
      <div className="series-row">
        <Thumb url={series.thumbnailUrl} modality={series.modality ?? undefined} size={96} />
        <div className="series-info">
          <strong>
            {series.seriesNumber !== null && `#${series.seriesNumber} `}
            {series.description ?? series.bodyPart ?? 'Series'}
          </strong>
          <div className="muted">
            <span className="modality">{series.modality}</span> · {series.instanceCount} {series.instanceCount === 1 ? 'image' : 'images'}
          </div>
          <button type="button" className="btn btn-small" aria-expanded={open} aria-controls={id} onClick={toggle}>
            {open ? 'Hide' : 'Show'} images, receipts and SHA-256
          </button>
        </div>
      </div>
      {open && (
        <div id={id} className="instances">
          {error ? (
            <ErrorState message={error} />
          ) : !instances ? (
            <Spinner label="Loading images" />
          ) : (
            <table className="instance-table">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">SOP Instance UID</th>
                  <th scope="col">Size</th>
                  <th scope="col">SHA-256 of the original</th>
                  <th scope="col">Receipts</th>
                </tr>
              </thead>
              <tbody>
                {instances.map((i) => (
                  <tr key={i.sopInstanceUid}>
                    <td>{i.instanceNumber ?? '—'}</td>
                    <td className="mono small">{i.sopInstanceUid}</td>
                    <td>{formatBytes(i.size)}</td>
                    <td className="mono small sha">
                      {i.sha256}
                      {i.hasConflict && <div className="badge badge-conflict">{i.versions.length} versions kept</div>}
                    </td>
                    <td>
                      {i.receipts.length === 0
                        ? '—'
                        : i.receipts.map((r) => (
                            <div key={`${r.uploadId}-${r.at}`} className="small">
                              <span className={`receipt receipt-${r.status.toLowerCase()}`}>{r.status.toLowerCase()}</span> {new Date(r.at).toLocaleString()} via {r.via}
                              {r.sha256 === i.sha256 ? ' · SHA-256 verified' : r.sha256 ? ' · different SHA-256' : ''}
                            </div>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </li>
  );
}
