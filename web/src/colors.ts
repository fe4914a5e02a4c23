// One colour per entity type, in the order of the sorted type list; each has at least 3:1
// contrast against the map background (WCAG 1.4.11, graphical objects).
const palette = ['#1f63b4', '#c42b1c', '#1e7d32', '#7b3fa0', '#b35900', '#6d4c41', '#ad1f7a', '#00767f', '#5f6b00', '#4d5766'];

export function typeColors(types: string[]): Map<string, string> {
  return new Map(types.map((type, index) => [type, palette[index % palette.length]]));
}
