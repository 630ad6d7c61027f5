// The actions store performs what the row icons, the mass-actions menu and the details
// modal ask for: it confirms destructive actions in a dialog that names the migration,
// calls the backend through the migrations store and reports the outcome by error code.
import { defineStore } from 'pinia'
import * as api from '../api'
import type { Action, MigrationRow } from '../api'
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
      message: `Mark migration ${label(row)} as successful? Do this only if you have finished the migration by hand: Ferry will not run its remaining steps.`,
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

  /** run performs one row action. */
  async function run(action: Action, row: MigrationRow): Promise<boolean> {
    switch (action) {
      case 'show':
        ui.openDetails(row.id, row.actionRequired ? 'process' : 'steps')
        return true
      case 'delete':
        return remove([row])
      case 'mark_successful':
        return markSuccessful(row)
      case 'mark_failed':
        return markFailed(row)
      default:
        ui.notify('info', 'This action is not available in this version of Ferry.')
        return false
    }
  }

  return { remove, markSuccessful, markFailed, run, report }
})
