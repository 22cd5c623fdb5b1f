import { expect, it } from 'vitest'
import { movedIndex, tabStopId } from '../../src/renderer/src/grid-moves'

it('moves one row with the arrows, stopping at either end', () => {
  expect(movedIndex('ArrowDown', 3, 10)).toBe(4)
  expect(movedIndex('ArrowUp', 3, 10)).toBe(2)
  expect(movedIndex('ArrowDown', 9, 10)).toBe(9)
  expect(movedIndex('ArrowUp', 0, 10)).toBe(0)
})

it('starts on the first row when none is selected, whichever way the arrow points', () => {
  expect(movedIndex('ArrowDown', -1, 10)).toBe(0)
  expect(movedIndex('ArrowUp', -1, 10)).toBe(0)
})

it('moves a page with PageUp and PageDown, and to the ends with Home and End', () => {
  expect(movedIndex('PageDown', 3, 100, 10)).toBe(13)
  expect(movedIndex('PageUp', 13, 100, 10)).toBe(3)
  expect(movedIndex('PageDown', 95, 100, 10)).toBe(99)
  expect(movedIndex('PageUp', 4, 100, 10)).toBe(0)
  expect(movedIndex('Home', 50, 100)).toBe(0)
  expect(movedIndex('End', 50, 100)).toBe(99)
})

it('does not move for other keys or in an empty list', () => {
  expect(movedIndex('ArrowLeft', 3, 10)).toBeNull()
  expect(movedIndex('a', 3, 10)).toBeNull()
  expect(movedIndex('ArrowDown', -1, 0)).toBeNull()
})

it('puts the tab stop on the selected row when rendered, else on the first rendered row', () => {
  expect(tabStopId([7, 6, 5], 6)).toBe(6)
  expect(tabStopId([7, 6, 5], 2)).toBe(7)
  expect(tabStopId([7, 6, 5], null)).toBe(7)
  expect(tabStopId([], 3)).toBeNull()
})
