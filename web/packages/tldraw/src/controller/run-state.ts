import { atom, type TLShapeId } from 'tldraw';

/** Where a shape's generation is: run state, never stored in the document. */
export type RunStatus = 'idle' | 'downloading' | 'loading' | 'queued' | 'generating' | 'done' | 'error';

/** The statuses during which a generation is under way. */
export const RUNNING_STATUSES: ReadonlySet<RunStatus> = new Set(['downloading', 'loading', 'queued', 'generating']);

/** What a shape shows about its latest generation. */
export interface ShapeRun {
  readonly status: RunStatus;
  /** 0..1 during downloads and generation. */
  readonly progress: number;
  /** Words for people: progress, or how the shown image was made. */
  readonly text: string;
  /** What went wrong, once, in words (no URLs), when `status` is `error`. */
  readonly error: string | null;
  /** The model download or load this generation waited for, reported apart from the image's time. */
  readonly preparation: string | null;
}

/** The run state of every shape, in one reactive atom: components read it with `useValue`. */
export interface RunStore {
  get(id: TLShapeId): ShapeRun | undefined;
  set(id: TLShapeId, run: ShapeRun): void;
  update(id: TLShapeId, patch: Partial<ShapeRun>): void;
  delete(id: TLShapeId): void;
}

const IDLE: ShapeRun = { status: 'idle', progress: 0, text: '', error: null, preparation: null };

/** Creates an empty {@link RunStore}. */
export function createRunStore(): RunStore {
  const runs = atom<ReadonlyMap<TLShapeId, ShapeRun>>('hybridgen runs', new Map());
  const write = (id: TLShapeId, run: ShapeRun | undefined) => {
    const next = new Map(runs.get());
    if (run) next.set(id, run);
    else next.delete(id);
    runs.set(next);
  };
  return {
    get: (id) => runs.get().get(id),
    set: (id, run) => write(id, run),
    update: (id, patch) => write(id, { ...(runs.get().get(id) ?? IDLE), ...patch }),
    delete: (id) => write(id, undefined),
  };
}
