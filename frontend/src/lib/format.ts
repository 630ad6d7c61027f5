// Formatting shared by the table and the details modal. Times from the backend are Unix
// milliseconds UTC with 0 meaning "not yet"; they are shown in the admin's local time.

const pad = (n: number) => String(n).padStart(2, '0')

/** formatTime renders ms as "2025-03-14 09:05:12" in local time, or an em dash for 0. */
export function formatTime(ms: number, withSeconds = true): string {
  if (!ms) return '—'
  const d = new Date(ms)
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  return withSeconds ? `${date} ${time}:${pad(d.getSeconds())}` : `${date} ${time}`
}

/** formatClock renders ms as "09:05:12.345" for log lines. */
export function formatClock(ms: number): string {
  if (!ms) return ''
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

/** formatDuration renders a duration as "850 ms", "42 s", "3 min 05 s" or "2 h 04 min". */
export function formatDuration(ms: number): string {
  if (!ms || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${pad(s % 60)} s`
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`
}

/** formatBytes renders a size with binary units: "1.5 MiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`
}

/** formatEta renders seconds left, or '' when unknown (negative). */
export function formatEta(seconds: number): string {
  if (!(seconds >= 0)) return ''
  return `${formatDuration(seconds * 1000)} left`
}

/** protocolLabel is how a protocol is written in the UI. */
export function protocolLabel(p: string): string {
  switch (p) {
    case 'ftp':
      return 'FTP'
    case 'ftps':
      return 'FTPS (explicit TLS)'
    case 'sftp':
      return 'SFTP'
    case 'local':
      return 'Local folder'
  }
  return p || '—'
}

/** methodLabel is how a migration method is written in the UI. */
export function methodLabel(m: string): string {
  switch (m) {
    case 'ftp':
      return 'Automatic (FTP)'
    case 'sftp':
      return 'Automatic (SFTP)'
    case 'manual':
      return 'Manual upload'
  }
  return m
}
