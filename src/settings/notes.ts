/**
 * Warnings found while loading settings (a local default standing in for a security setting, a likely typo in
 * a variable name), kept beside the frozen object so the public `Settings` shape stays as documented.
 */

/** One warning about how a settings object was loaded; `start()` and `check-config` print them. */
export interface SettingsNote {
  readonly variable: string;
  readonly message: string;
}

const notes = new WeakMap<object, readonly SettingsNote[]>();

/** Attaches `list` to `settings` (internal: used by `loadSettings`). */
export function attachSettingsNotes(settings: object, list: readonly SettingsNote[]): void {
  if (list.length > 0) notes.set(settings, Object.freeze([...list]));
}

/** The load-time warnings of a settings object; none for objects not made by `loadSettings`. */
export function settingsNotes(settings: object): readonly SettingsNote[] {
  return notes.get(settings) ?? [];
}
