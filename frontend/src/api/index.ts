// The one module that talks to the Go side. Stores call these functions; nothing else
// imports wailsjs/. Every failure is normalised into an ApiError whose `code` is the
// service.Code the backend chose, so callers switch on codes, never on message text.
import * as App from '../../wailsjs/go/main/App'
import { service } from '../../wailsjs/go/models'
import { EventsOn, WindowSetTitle } from '../../wailsjs/runtime/runtime'
import type {
  Action,
  BatchDTO,
  BatchPreview,
  BatchStart,
  BatchSummary,
  BulkResult,
  ChangedEvent,
  ConnectionReport,
  CreateInput,
  EditResult,
  EndpointInput,
  ExportInput,
  ExportResult,
  ListQuery,
  ListResult,
  LogDTO,
  LogEvent,
  MigrationDetail,
  MigrationRow,
  ProgressEvent,
  Settings,
  TabCounts,
  UserDTO,
  VerifyReport,
} from './types'

export type * from './types'

export type ErrorCode = 'invalid_input' | 'not_found' | 'not_allowed' | 'conflict' | 'internal'

/** ApiError is a failed call: the backend's {code, message, fields}. */
export class ApiError extends Error {
  readonly code: ErrorCode
  /** fields maps a form field's JSON path (e.g. "destination.host") to what is wrong with it. */
  readonly fields: Record<string, string>

  constructor(code: ErrorCode, message: string, fields: Record<string, string> = {}) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.fields = fields
  }
}

const codes: ErrorCode[] = ['invalid_input', 'not_found', 'not_allowed', 'conflict', 'internal']

/** toApiError turns whatever a bound call rejected with into an ApiError. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw
  if (raw && typeof raw === 'object' && 'code' in raw) {
    const r = raw as { code: unknown; message?: unknown; fields?: unknown }
    const code = codes.includes(r.code as ErrorCode) ? (r.code as ErrorCode) : 'internal'
    const fields =
      r.fields && typeof r.fields === 'object' ? (r.fields as Record<string, string>) : {}
    return new ApiError(code, String(r.message ?? 'Unknown error'), fields)
  }
  // The runtime rejects with new Error(text) where text is the JSON main.go's formatError made.
  if (raw instanceof Error) return toApiError(raw.message)
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (parsed && typeof parsed === 'object' && 'code' in parsed) return toApiError(parsed)
    } catch {
      // not JSON: a plain message from the runtime (timeouts, lost connection)
    }
    return new ApiError('internal', raw)
  }
  return new ApiError('internal', 'Unknown error')
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw toApiError(e)
  }
}

export const listMigrations = (q: ListQuery): Promise<ListResult> =>
  call(() => App.ListMigrations(service.ListQuery.createFrom(q)))
export const tabCounts = (): Promise<TabCounts> => call(() => App.TabCounts())
export const getMigration = (id: number): Promise<MigrationDetail> =>
  call(() => App.GetMigration(id))
export const getLogs = (id: number, afterSeq: number, limit: number): Promise<LogDTO[]> =>
  call(() => App.GetLogs(id, afterSeq, limit))
export const revealSecret = (id: number, field: string): Promise<string> =>
  call(() => App.RevealSecret(id, field))
export const createMigration = (input: CreateInput): Promise<MigrationDetail> =>
  call(() => App.CreateMigration(service.CreateInput.createFrom(input)))
export const deleteMigrations = (ids: number[]): Promise<BulkResult> =>
  call(() => App.DeleteMigrations(ids))
export const markSuccessful = (id: number): Promise<MigrationRow> =>
  call(() => App.MarkSuccessful(id))
export const markFailed = (id: number): Promise<MigrationRow> => call(() => App.MarkFailed(id))
export const listUsers = (search: string): Promise<UserDTO[]> => call(() => App.ListUsers(search))
export const listServices = (search: string): Promise<string[]> =>
  call(() => App.ListServices(search))

export const stopMigration = (id: number): Promise<MigrationRow> =>
  call(() => App.StopMigration(id))
export const retryMigration = (id: number, fromStart: boolean): Promise<MigrationRow> =>
  call(() => App.RetryMigration(id, fromStart))
export const retryMigrations = (ids: number[]): Promise<BulkResult> =>
  call(() => App.RetryMigrations(ids))
export const attachFiles = (id: number, paths: string[]): Promise<MigrationDetail> =>
  call(() => App.AttachFiles(id, paths))
export const verifyMigration = (id: number): Promise<VerifyReport> =>
  call(() => App.VerifyMigration(id))
/** lastVerify is the report of the last Verify of a migration, or null when none ran. */
export const lastVerify = (id: number): Promise<VerifyReport | null> =>
  call(async () => (await App.LastVerify(id)) ?? null)
/** editMigration saves the Edit form; secrets left empty keep their stored values. */
export const editMigration = (id: number, input: CreateInput): Promise<EditResult> =>
  call(() => App.EditMigration(id, service.CreateInput.createFrom(input)))
export const switchToManual = (id: number): Promise<MigrationDetail> =>
  call(() => App.SwitchToManual(id))
/** testEditedConnection is testConnection with the migration's kept secrets filled in. */
export const testEditedConnection = (
  id: number,
  side: 'source' | 'destination',
  input: EndpointInput,
): Promise<ConnectionReport> =>
  call(() => App.TestEditedConnection(id, side, service.EndpointInput.createFrom(input)))
export const continueImport = (id: number): Promise<MigrationRow> =>
  call(() => App.ContinueImport(id))
export const testConnection = (
  side: 'source' | 'destination',
  input: EndpointInput,
): Promise<ConnectionReport> =>
  call(() => App.TestConnection(side, service.EndpointInput.createFrom(input)))
export const exportReport = (input: ExportInput): Promise<ExportResult> =>
  call(() => App.ExportReport(service.ExportInput.createFrom(input)))
export const migrationReport = (id: number, format: string, path: string): Promise<ExportResult> =>
  call(() => App.MigrationReport(id, format, path))
export const saveLog = (id: number, path: string): Promise<ExportResult> =>
  call(() => App.SaveLog(id, path))
export const getSettings = (): Promise<Settings> => call(() => App.GetSettings())
export const saveSettings = (s: Settings): Promise<Settings> =>
  call(() => App.SaveSettings(service.Settings.createFrom(s)))
/** chooseFiles opens the native multi-file dialog; [] when cancelled. */
export const chooseFiles = (): Promise<string[]> =>
  call(async () => (await App.ChooseFiles()) ?? [])
/** chooseKeyFile opens the native dialog and returns the key's PEM text ('' when cancelled). */
export const chooseKeyFile = (): Promise<string> => call(() => App.ChooseKeyFile())
/** chooseSavePath opens the native save dialog; '' when cancelled. */
export const chooseSavePath = (title: string, defaultName: string): Promise<string> =>
  call(() => App.ChooseSavePath(title, defaultName))

export const listBatches = (): Promise<BatchSummary[]> =>
  call(async () => (await App.ListBatches()) ?? [])
export const batchSummary = (ref: string): Promise<BatchSummary> =>
  call(() => App.BatchSummary(ref))
/** previewBatch reads and checks a sites file against the shared settings; nothing starts. */
export const previewBatch = (shared: CreateInput, sitesPath: string): Promise<BatchPreview> =>
  call(() => App.PreviewBatch(service.CreateInput.createFrom(shared), sitesPath))
export const startBatch = (input: BatchStart): Promise<BatchDTO> =>
  call(() => App.StartBatch(service.BatchStart.createFrom(input)))
export const retryFailedInBatch = (ref: string): Promise<BulkResult> =>
  call(() => App.RetryFailedInBatch(ref))
export const stopBatch = (ref: string): Promise<BulkResult> => call(() => App.StopBatch(ref))
export const batchReport = (ref: string, format: string, path: string): Promise<ExportResult> =>
  call(() => App.BatchReport(ref, format, path))
/** chooseSitesFile opens the native dialog for a batch's sites file; '' when cancelled. */
export const chooseSitesFile = (): Promise<string> => call(() => App.ChooseSitesFile())

/** setWindowTitle names the desktop window (and the page, when served to a browser). */
export function setWindowTitle(title: string) {
  document.title = title
  try {
    WindowSetTitle(title)
  } catch {
    // no runtime (unit tests): the document title is enough
  }
}

/**
 * boundActions are the row actions this build can perform. The transition table may allow
 * more; the UI offers an action only when it is allowed AND bound here.
 */
export const boundActions: ReadonlySet<Action> = new Set<Action>([
  'show',
  'stop',
  'retry',
  'retry_from_start',
  'delete',
  'mark_successful',
  'mark_failed',
  'verify',
  'continue_import',
  'attach',
  'edit',
  'switch_to_manual',
])

/** Event names of backend/events. */
export const EVENT_CHANGED = 'migration:changed'
export const EVENT_PROGRESS = 'migration:progress'
export const EVENT_LOG = 'migration:log'
/** EVENT_FILES_DROPPED carries the absolute paths of files dropped on the window. */
export const EVENT_FILES_DROPPED = 'files:dropped'

interface EventPayloads {
  [EVENT_CHANGED]: ChangedEvent
  [EVENT_PROGRESS]: ProgressEvent
  [EVENT_LOG]: LogEvent
  [EVENT_FILES_DROPPED]: string[]
}

/** onEvent subscribes to one backend event and returns the function that unsubscribes. */
export function onEvent<N extends keyof EventPayloads>(
  name: N,
  handler: (payload: EventPayloads[N]) => void,
): () => void {
  return EventsOn(name, (payload: EventPayloads[N]) => handler(payload))
}
