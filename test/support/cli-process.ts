import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export const CLI = resolve(__dirname, '../../out/main/cli.js')

export interface CliProcess {
  child: ChildProcess
  url: string
  output(): string
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>
}

/**
 * Runs the built `outpost serve` in its own process (the runtime running the tests: Node, or
 * Electron-as-Node) and resolves once it prints its URL.
 */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const exited = new Promise<number | string>((resolveExit) =>
    child.on('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'))
  )
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`outpost serve did not start:\n${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolveStart({ child, url: match[1] as string, output: () => output, exited })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`outpost serve exited (${code}) before it was ready:\n${output}`))
    })
  })
}
