import type { ListResult, MigrationRow } from '../src/api'

export function row(over: Partial<MigrationRow> = {}): MigrationRow {
  return {
    id: 12,
    user: { id: 1, name: 'Jane Doe', email: 'jane@example.com', status: 'active' },
    service: 'Business 10GB',
    domain: 'example.com',
    method: 'manual',
    batch: '',
    status: 'waiting',
    tab: 'in_progress',
    statusText: 'Waiting for files',
    failureReason: '',
    currentStep: 'wait_for_upload',
    failedStep: '',
    actionRequired: true,
    progress: undefined as unknown as MigrationRow['progress'],
    actions: ['show', 'stop', 'mark_failed', 'delete', 'attach'],
    sourceSummary: 'Manual upload',
    destinationSummary: 'SFTP jane@sftp.example.net:/home/jane/public_html',
    createdAt: 1_700_000_000_000,
    startedAt: 0,
    completedAt: 0,
    updatedAt: 1_700_000_000_000,
    ...over,
  }
}

export function page(rows: MigrationRow[], over: Partial<ListResult> = {}): ListResult {
  return {
    rows,
    total: rows.length,
    page: 1,
    pageSize: 50,
    counts: { inProgress: rows.length, failed: 0, successful: 0 },
    ...over,
  }
}
