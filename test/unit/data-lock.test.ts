import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { lockDataDir } from '../../src/main/data-lock'
import { tempDir } from '../support/temp'

/**
 * A second process holding the folder the way lockDataDir does: SQLite's exclusive lock on the
 * lock database. It prints "held" once the lock is taken, then waits to be killed.
 */
const HOLDER_SCRIPT = `
const Database = require(process.argv[1])
const db = new Database(process.argv[2], { timeout: 0 })
db.pragma('locking_mode = EXCLUSIVE')
db.exec('CREATE TABLE IF NOT EXISTS child_holder (pid INTEGER)')
db.prepare('INSERT INTO child_holder VALUES (?)').run(process.pid)
process.stdout.write('held')
setInterval(() => {}, 60_000)
`

function holdInChildProcess(dataDir: string): Promise<{ kill(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['-e', HOLDER_SCRIPT, require.resolve('better-sqlite3'), join(dataDir, 'outpost-lock.sqlite')],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  let output = ''
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('held')) {
        resolve({
          async kill() {
            child.kill('SIGKILL')
            await exited
          }
        })
      }
    })
    void exited.then(() => reject(new Error(`the holder exited before it held the lock:\n${output}`)))
  })
}

describe('the data-folder lock', () => {
  let dir: ReturnType<typeof tempDir>
  const unlocks: Array<() => void> = []
  const lock = () => {
    const unlock = lockDataDir(dir.path)
    unlocks.push(unlock)
    return unlock
  }

  beforeEach(() => {
    dir = tempDir('outpost-lock')
  })
  afterEach(() => {
    for (const unlock of unlocks.splice(0)) unlock()
    dir.remove()
  })

  it('refuses a second holder in the same process, naming the folder and who holds it', () => {
    lock()
    expect(() => lock()).toThrow(`Another Outpost (pid ${process.pid}`)
    expect(() => lock()).toThrow(`is using ${dir.path}`)
  })

  it('can be taken again once its holder unlocks', () => {
    const unlock = lock()
    expect(() => lock()).toThrow(/Another Outpost/)
    unlock()
    unlocks.splice(0)
    expect(() => lock()).not.toThrow()
  })

  it('is taken over at once from a process killed while holding it', async () => {
    const holder = await holdInChildProcess(dir.path)
    try {
      expect(() => lock()).toThrow(`is using ${dir.path}`)
    } finally {
      await holder.kill()
    }
    expect(() => lock()).not.toThrow()
  })

  it('is not blocked by an outpost.lock naming a live process that holds nothing', () => {
    // A holder file of today's format left behind (a copied folder, a crash before the rename of a
    // pid): its pid is alive (our parent) but holds no SQLite lock, so the folder is free.
    const stale = { pid: process.ppid, host: 'elsewhere', startedAt: '2020-01-01T00:00:00.000Z' }
    writeFileSync(join(dir.path, 'outpost.lock'), JSON.stringify(stale))
    expect(() => lock()).not.toThrow()
    expect(() => lock()).toThrow(`(pid ${process.pid} on `)
  })

  it('an old unlock, called again after another holder took the folder, leaves that holder alone', () => {
    const first = lockDataDir(dir.path)
    first()
    lock()
    first() // a second close of the first collector, after the folder changed hands
    expect(readFileSync(join(dir.path, 'outpost.lock'), 'utf8')).toContain(`"pid":${process.pid}`)
    expect(() => lock()).toThrow(`Another Outpost (pid ${process.pid}`)
  })

  it('is not blocked by an outpost.lock from an older Outpost naming a live process', () => {
    // The old format: a pid as text. The parent of this test process is alive, and is not us.
    writeFileSync(join(dir.path, 'outpost.lock'), String(process.ppid))
    expect(() => lock()).not.toThrow()
  })
})
