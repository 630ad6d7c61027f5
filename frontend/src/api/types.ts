// Plain data shapes of the DTOs the Go service returns. They are derived from the classes
// Wails generates (wailsjs/go/models.ts) with the helper methods stripped, so a change in
// backend/service/dto.go shows up here as a type error.
import type { pipeline, service } from '../../wailsjs/go/models'

type Plain<T> = T extends (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Plain<T[K]> }
    : T

export type Tab = 'in_progress' | 'failed' | 'successful'
export type SortKey = 'id' | 'user' | 'service' | 'domain' | 'status' | 'createdAt' | 'completedAt'
/** Action is a migration.Action value: what the transition table allows now. */
export type Action =
  | 'show'
  | 'stop'
  | 'retry'
  | 'retry_from_start'
  | 'mark_successful'
  | 'mark_failed'
  | 'delete'
  | 'verify'
  | 'continue_import'
  | 'attach'
  | 'edit'
  | 'switch_to_manual'

export type ListQuery = Plain<service.ListQuery>
export type ListResult = Plain<service.ListResult>
export type TabCounts = Plain<service.TabCounts>
export type MigrationRow = Plain<service.MigrationRow>
export type MigrationDetail = Plain<service.MigrationDetail>
export type StepDTO = Plain<service.StepDTO>
export type LogDTO = Plain<service.LogDTO>
export type EndpointDTO = Plain<service.EndpointDTO>
export type UserDTO = Plain<service.UserDTO>
export type ProgressDTO = Plain<service.ProgressDTO>
export type CreateInput = Plain<service.CreateInput>
export type EditResult = Plain<service.EditResult>
export type EndpointInput = Plain<service.EndpointInput>
export type BulkResult = Plain<service.BulkResult>
export type VerifyReport = Plain<service.VerifyReport>
export type VerifyProblem = Plain<service.VerifyProblem>
export type Settings = Plain<service.Settings>
export type ExportInput = Plain<service.ExportInput>
export type ExportResult = Plain<service.ExportResult>
export type AttachedFileDTO = Plain<service.AttachedFileDTO>
export type BatchSummary = Plain<service.BatchSummary>
export type BatchPreview = Plain<service.BatchPreview>
export type BatchProblem = Plain<service.BatchProblem>
export type BatchSite = Plain<service.BatchSite>
export type BatchStart = Plain<service.BatchStart>
export type BatchDTO = Plain<service.BatchDTO>
export type ConnectionReport = Plain<pipeline.ConnectionReport>
export type ConnectionCheck = Plain<pipeline.ConnectionCheck>

/** ChangedEvent mirrors events.Changed. */
export interface ChangedEvent {
  id: number
  status: string
  step: string
  deleted: boolean
}

/** ProgressEvent mirrors events.Progress. */
export interface ProgressEvent {
  id: number
  step: string
  percent: number
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
  rowsDone: number
  rowsTotal: number
  speed: number
  etaSeconds: number
}

/** LogEvent mirrors events.LogLine. */
export interface LogEvent {
  id: number
  time: number
  level: string
  step: string
  message: string
}
