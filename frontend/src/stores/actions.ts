// The actions store performs what the row icons, the mass-actions menu and the details
// modal ask for: it confirms destructive actions in a dialog that names the migration,
// calls the backend through the migrations store and reports the outcome by error code.
import { defineStore } from 'pinia'
import * as api from '../api'
import type { Action, ExportInput, ExportResult, MigrationRow } from '../api'
import { useMigrationsStore } from './migrations'
import { useUiStore } from './ui'

/** label names a migration the way every dialog does: "#12 (example.com)". */
export function label(row: Pick<MigrationRow, 'id' | 'domain'>): string {
  return `#${row.id} (${row.domain})`
}

/** available lists the row actions to draw: allowed by the backend and bound in this build. */
export function available(row: Pick<MigrationRow, 'actions'>): Action[] {
  return (row.actions ?? []).filter((a): a is Action => api.boundActions.has(a as Action))
}

export const useActionsStore = defineStore('actions', () => {
  const ui = useUiStore()
  const migrations = useMigrationsStore()

  function report(e: unknown) {
    const err = api.toApiError(e)
    switch (err.code) {
      case 'not_allowed':
        ui.notify('warning', err.message)
        break
      case 'not_found':
        ui.notify('info', 'That migration no longer exists.')
        break
      case 'conflict':
        ui.notify('warning', 'The migration changed meanwhile; the table now shows its new state.')
        break
      default:
        ui.notify('error', err.message)
    }
    void migrations.load()
    return err
  }

  async function remove(rows: Pick<MigrationRow, 'id' | 'domain'>[]): Promise<boolean> {
    if (!rows.length) return false
    const one = rows.length === 1
    const ok = await ui.ask({
      title: one ? 'Delete migration' : `Delete ${rows.length} migrations`,
      message: one
        ? `Delete migration ${label(rows[0])}? Its history, logs and local staging files are removed. Nothing on the source or destination servers is touched.`
        : `Delete ${rows.length} migrations? Their history, logs and local staging files are removed. Nothing on the source or destination servers is touched.`,
      confirmText: 'Delete',
      danger: true,
    })
    if (!ok) return false
    try {
      const res = await migrations.remove(rows.map((r) => r.id))
      const refused = Object.entries(res.failed ?? {})
      if (refused.length) {
        ui.notify(
          'warning',
          `${res.done.length} deleted; ${refused.length} refused: ${refused.map(([id, why]) => `#${id} ${why}`).join('; ')}`,
        )
      } else {
        ui.notify(
          'success',
          one ? `Migration ${label(rows[0])} deleted` : `${res.done.length} migrations deleted`,
        )
      }
      if (ui.detailsId !== null && res.done.includes(ui.detailsId)) ui.closeDetails()
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  async function markSuccessful(row: Pick<MigrationRow, 'id' | 'domain'>): Promise<boolean> {
    const ok = await ui.ask({
      title: 'Mark as successful',
      message: `Mark migration ${label(row)} as successful? Do this only if you have finished the migration by hand outside Ferry: Ferry will not run its remaining steps, and the Successful tab will list it as completed.`,
      confirmText: 'Mark as successful',
    })
    if (!ok) return false
    try {
      await migrations.markSuccessful(row.id)
      ui.notify('success', `Migration ${label(row)} marked as successful`)
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  async function markFailed(row: Pick<MigrationRow, 'id' | 'domain'>): Promise<boolean> {
    const ok = await ui.ask({
      title: 'Mark as failed',
      message: `Mark migration ${label(row)} as failed? It stops where it is and moves to the Failed tab.`,
      confirmText: 'Mark as failed',
      danger: true,
    })
    if (!ok) return false
    try {
      await migrations.markFailed(row.id)
      ui.notify('success', `Migration ${label(row)} marked as failed`)
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  async function stop(row: Pick<MigrationRow, 'id' | 'domain'>): Promise<boolean> {
    const ok = await ui.ask({
      title: 'Stop migration',
      message: `Stop migration ${label(row)}? It moves to the Failed tab with the reason "Stopped by admin"; its staging files are kept so Retry can resume it.`,
      confirmText: 'Stop migration',
      danger: true,
    })
    if (!ok) return false
    try {
      await migrations.stop(row.id)
      ui.notify('success', `Migration ${label(row)} stopped`)
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  /**
   * retry asks before retrying; when fromStart is undefined and the migration may start
   * over, the dialog offers "Retry from start" as an option.
   */
  async function retry(
    row: Pick<MigrationRow, 'id' | 'domain' | 'actions' | 'failureReason'>,
    fromStart?: boolean,
  ): Promise<boolean> {
    const canRestart = (row.actions ?? []).includes('retry_from_start')
    const answer = await ui.choose({
      title: fromStart ? 'Retry from start' : 'Retry migration',
      message: fromStart
        ? `Run migration ${label(row)} again from its first step? Completed steps are done again.`
        : `Retry migration ${label(row)}? It resumes from the step that failed${row.failureReason ? ` ("${row.failureReason}")` : ''}; completed steps are kept.`,
      confirmText: 'Retry',
      option: fromStart === undefined && canRestart ? 'Retry from start instead' : undefined,
    })
    if (!answer.ok) return false
    const restart = fromStart ?? answer.checked
    try {
      await migrations.retry(row.id, restart)
      ui.notify(
        'success',
        `Migration ${label(row)} queued again${restart ? ' from the start' : ''}`,
      )
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  async function retryMany(rows: Pick<MigrationRow, 'id' | 'domain'>[]): Promise<boolean> {
    if (!rows.length) return false
    const ok = await ui.ask({
      title: `Retry ${rows.length} migration${rows.length === 1 ? '' : 's'}`,
      message: `Retry ${rows.map(label).join(', ')}? Each resumes from the step that failed.`,
      confirmText: 'Retry',
    })
    if (!ok) return false
    try {
      const res = await migrations.retryMany(rows.map((r) => r.id))
      const refused = Object.entries(res.failed ?? {})
      if (refused.length) {
        ui.notify(
          'warning',
          `${res.done.length} queued again; ${refused.length} refused: ${refused.map(([id, why]) => `#${id} ${why}`).join('; ')}`,
        )
      } else {
        ui.notify('success', `${res.done.length} migrations queued again`)
      }
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  /**
   * exportTo asks where to save a report (the native save dialog) and writes it there.
   * It resolves null when the admin cancelled the dialog.
   */
  async function exportTo(input: Omit<ExportInput, 'path'>): Promise<ExportResult | null> {
    const day = new Date().toISOString().slice(0, 10)
    try {
      const path = await api.chooseSavePath('Export report', `ferry-report-${day}.${input.format}`)
      if (!path) return null
      const res = await api.exportReport({ ...input, path })
      ui.notify(
        'success',
        `${res.count} migration${res.count === 1 ? '' : 's'} exported to ${res.path}`,
      )
      return res
    } catch (e) {
      report(e)
      return null
    }
  }

  /** saveLog writes a migration's full log to a text file the admin chooses. */
  async function saveLog(row: Pick<MigrationRow, 'id' | 'domain'>): Promise<boolean> {
    try {
      const path = await api.chooseSavePath('Save log', `ferry-${row.id}-${row.domain}.log`)
      if (!path) return false
      const res = await api.saveLog(row.id, path)
      ui.notify('success', `${res.count} log lines saved to ${res.path}`)
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  /** reportOne writes one migration's report (csv, json or pdf) to a file the admin chooses. */
  async function reportOne(
    row: Pick<MigrationRow, 'id' | 'domain'>,
    format: 'csv' | 'json' | 'pdf',
  ): Promise<boolean> {
    try {
      const path = await api.chooseSavePath(
        'Save migration report',
        `ferry-${row.id}-${row.domain}.${format}`,
      )
      if (!path) return false
      const res = await api.migrationReport(row.id, format, path)
      ui.notify('success', `Report of ${label(row)} saved to ${res.path}`)
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  /** switchToManual asks, then turns a failed FTP/SFTP migration into a manual one. */
  async function switchToManual(row: Pick<MigrationRow, 'id' | 'domain'>): Promise<boolean> {
    const ok = await ui.ask({
      title: 'Switch to manual migration',
      message: `Turn migration ${label(row)} into a manual one? It keeps its destination and options and waits for wordpress-files.zip and database.sql; the files downloaded so far are discarded.`,
      confirmText: 'Switch to manual',
    })
    if (!ok) return false
    try {
      await api.switchToManual(row.id)
      ui.notify('success', `Migration ${label(row)} is now manual: attach its files`)
      void migrations.setTab('in_progress')
      ui.openDetails(row.id, 'process')
      return true
    } catch (e) {
      report(e)
      return false
    }
  }

  /** run performs one row action. */
  async function run(action: Action, row: MigrationRow): Promise<boolean> {
    switch (action) {
      case 'show':
        ui.openDetails(row.id, row.actionRequired ? 'process' : 'steps')
        return true
      case 'stop':
        return stop(row)
      case 'retry':
        return retry(row)
      case 'retry_from_start':
        return retry(row, true)
      case 'delete':
        return remove([row])
      case 'mark_successful':
        return markSuccessful(row)
      case 'mark_failed':
        return markFailed(row)
      case 'edit':
        ui.openEdit(row.id)
        return true
      case 'switch_to_manual':
        return switchToManual(row)
      default:
        ui.notify('info', 'This action is not available in this version of Ferry.')
        return false
    }
  }

  return {
    remove,
    markSuccessful,
    markFailed,
    stop,
    retry,
    retryMany,
    switchToManual,
    exportTo,
    saveLog,
    reportOne,
    run,
    report,
  }
})
