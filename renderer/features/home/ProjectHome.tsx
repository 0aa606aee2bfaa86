import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { ProjectSummary, RecentProject } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { setProject, projectStore } from '../app/project.js';
import { navigate } from '../app/route.js';
import { useStore } from '../app/store.js';
import { useAction } from '../app/useAction.js';
import { trackJob } from '../jobs/jobs.js';

function opened(project: ProjectSummary, jobId: string | null = null) {
  setProject(project);
  void trackJob(jobId);
  navigate({ name: 'library' });
}

export function ProjectHome() {
  const { project, demoProject } = useStore(projectStore);
  return (
    <div className="home" data-testid="home">
      {project ? <CurrentProject project={project} /> : null}
      <div className="home-columns">
        <section className="panel" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent projects</h2>
          <RecentList />
          {demoProject ? <DemoButton path={demoProject} /> : null}
        </section>
        <section className="panel home-forms" aria-label="Open or create a project">
          <OpenFolderForm />
          <OpenFileForm />
          <CreateForm />
        </section>
      </div>
    </div>
  );
}

function CurrentProject({ project }: { project: ProjectSummary }) {
  const close = useAction(async () => {
    await api.call('projects.close');
    setProject(null);
  });
  return (
    <section className="panel current-project" aria-label="Open project">
      <div>
        <h2>{project.name}</h2>
        <div className="muted path">{project.path}</div>
        <div className="muted">
          {project.images.toLocaleString()} images · {project.annotations.toLocaleString()} annotations ·{' '}
          {project.classes.toLocaleString()} classes
        </div>
      </div>
      <div className="row">
        <button type="button" className="btn btn-primary" onClick={() => navigate({ name: 'library' })}>
          Go to library
        </button>
        <button type="button" className="btn" onClick={() => close.run()} disabled={close.pending}>
          Close project
        </button>
      </div>
      {close.error ? <p className="error" role="alert">{close.error}</p> : null}
    </section>
  );
}

function RecentList() {
  const [recent, setRecent] = useState<RecentProject[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const open = useAction(async (path: string) => opened(await api.call('projects.open', { path })));
  useEffect(() => {
    api.call('projects.recent').then(setRecent, (err) => setLoadError(errorMessage(err)));
  }, []);

  if (loadError) return <p className="error" role="alert">{loadError}</p>;
  if (!recent) return <p className="muted">Loading…</p>;
  return (
    <>
      {recent.length === 0 ? <p className="muted">No recent projects yet.</p> : null}
      <ul className="recent">
        {recent.map((r) => (
          <li key={r.path}>
            <button
              type="button"
              className="recent-item"
              aria-label={`Open project ${r.name}`}
              disabled={open.pending}
              onClick={() => open.run(r.path)}
            >
              <span className="recent-name">{r.name}</span>
              <span className="muted path">{r.path}</span>
              <span className="muted recent-when">{new Date(r.openedAt).toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
      {open.error ? <p className="error" role="alert">{open.error}</p> : null}
    </>
  );
}

function DemoButton({ path }: { path: string }) {
  const open = useAction(async () => opened(await api.call('projects.open', { path })));
  return (
    <div className="demo">
      <button type="button" className="btn" onClick={() => open.run()} disabled={open.pending}>
        Open the demo project
      </button>
      {open.error ? <p className="error" role="alert">{open.error}</p> : null}
    </div>
  );
}

function ActionForm(props: {
  title: string;
  hint: string;
  button: string;
  buttonTestId?: string;
  pending: boolean;
  error: string | null;
  onSubmit: () => void;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit();
  };
  return (
    <form className="action-form" onSubmit={submit}>
      <h3>{props.title}</h3>
      <p className="muted">{props.hint}</p>
      {props.children}
      <button type="submit" className="btn btn-primary" data-testid={props.buttonTestId} disabled={props.pending}>
        {props.pending ? 'Working…' : props.button}
      </button>
      {props.error ? <p className="error" role="alert">{props.error}</p> : null}
    </form>
  );
}

function PathInput(props: { label: string; value: string; onChange: (v: string) => void; placeholder: string; testId?: string; required?: boolean }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="text"
        spellCheck={false}
        autoComplete="off"
        value={props.value}
        placeholder={props.placeholder}
        required={props.required}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

function OpenFolderForm() {
  const [folder, setFolder] = useState('');
  const act = useAction(async () => {
    const { project, jobId } = await api.call('projects.openFolder', { folder: folder.trim() });
    opened(project, jobId);
  });
  return (
    <ActionForm
      title="Open folder"
      hint="Browse a folder of images. Sightline keeps its project file in its own data folder and never writes into yours."
      button="Open folder"
      buttonTestId="open-folder-button"
      pending={act.pending}
      error={act.error}
      onSubmit={() => act.run()}
    >
      <PathInput label="Folder" value={folder} onChange={setFolder} placeholder="/absolute/path/to/images" testId="open-folder-input" required />
    </ActionForm>
  );
}

function OpenFileForm() {
  const [path, setPath] = useState('');
  const act = useAction(async () => opened(await api.call('projects.open', { path: path.trim() })));
  return (
    <ActionForm
      title="Open project file"
      hint="Open an existing .sightline project."
      button="Open project"
      pending={act.pending}
      error={act.error}
      onSubmit={() => act.run()}
    >
      <PathInput label="Project file" value={path} onChange={setPath} placeholder="/absolute/path/project.sightline" required />
    </ActionForm>
  );
}

function CreateForm() {
  const [path, setPath] = useState('');
  const [folder, setFolder] = useState('');
  const act = useAction(async () => {
    const f = folder.trim();
    const { project, jobId } = await api.call('projects.create', { path: path.trim(), ...(f ? { folder: f } : {}) });
    opened(project, jobId);
  });
  return (
    <ActionForm
      title="Create project"
      hint="A new project file; optionally import a folder of images into it right away."
      button="Create project"
      pending={act.pending}
      error={act.error}
      onSubmit={() => act.run()}
    >
      <PathInput label="New project file" value={path} onChange={setPath} placeholder="/absolute/path/new.sightline" required />
      <PathInput label="Image folder (optional)" value={folder} onChange={setFolder} placeholder="/absolute/path/to/images" />
    </ActionForm>
  );
}
