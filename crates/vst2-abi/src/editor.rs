//! The editor rectangle returned by `effEditGetRect`, and the key codes of
//! `effEditKeyDown`/`effEditKeyUp`.

/// An editor rectangle. Field order is top, left, bottom, right. Size 8.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ERect {
    /// `top`.
    pub top: i16,
    /// `left`.
    pub left: i16,
    /// `bottom`.
    pub bottom: i16,
    /// `right`.
    pub right: i16,
}

impl ERect {
    /// Width in pixels (`right − left`).
    pub const fn width(&self) -> i32 {
        self.right as i32 - self.left as i32
    }

    /// Height in pixels (`bottom − top`).
    pub const fn height(&self) -> i32 {
        self.bottom as i32 - self.top as i32
    }
}

/// Virtual key codes carried in `value` by `effEditKeyDown`/`effEditKeyUp`.
pub mod virtual_key {
    /// No virtual key; the character is in `index`.
    pub const NONE: i32 = 0;
    /// Backspace.
    pub const BACK: i32 = 1;
    /// Tab.
    pub const TAB: i32 = 2;
    /// Clear.
    pub const CLEAR: i32 = 3;
    /// Return.
    pub const RETURN: i32 = 4;
    /// Pause.
    pub const PAUSE: i32 = 5;
    /// Escape.
    pub const ESCAPE: i32 = 6;
    /// Space.
    pub const SPACE: i32 = 7;
    /// Next.
    pub const NEXT: i32 = 8;
    /// End.
    pub const END: i32 = 9;
    /// Home.
    pub const HOME: i32 = 10;
    /// Left arrow.
    pub const LEFT: i32 = 11;
    /// Up arrow.
    pub const UP: i32 = 12;
    /// Right arrow.
    pub const RIGHT: i32 = 13;
    /// Down arrow.
    pub const DOWN: i32 = 14;
    /// Page up.
    pub const PAGE_UP: i32 = 15;
    /// Page down.
    pub const PAGE_DOWN: i32 = 16;
    /// Select.
    pub const SELECT: i32 = 17;
    /// Print.
    pub const PRINT: i32 = 18;
    /// Enter (keypad).
    pub const ENTER: i32 = 19;
    /// Snapshot.
    pub const SNAPSHOT: i32 = 20;
    /// Insert.
    pub const INSERT: i32 = 21;
    /// Delete.
    pub const DELETE: i32 = 22;
    /// Help.
    pub const HELP: i32 = 23;
    /// Numpad 0; numpad 1–9 follow as 25–33.
    pub const NUMPAD_0: i32 = 24;
    /// Numpad multiply.
    pub const MULTIPLY: i32 = 34;
    /// Numpad add.
    pub const ADD: i32 = 35;
    /// Numpad separator.
    pub const SEPARATOR: i32 = 36;
    /// Numpad subtract.
    pub const SUBTRACT: i32 = 37;
    /// Numpad decimal.
    pub const DECIMAL: i32 = 38;
    /// Numpad divide.
    pub const DIVIDE: i32 = 39;
    /// F1; F2–F12 follow as 41–51.
    pub const F1: i32 = 40;
    /// Num lock.
    pub const NUM_LOCK: i32 = 52;
    /// Scroll lock.
    pub const SCROLL: i32 = 53;
    /// Shift.
    pub const SHIFT: i32 = 54;
    /// Control.
    pub const CONTROL: i32 = 55;
    /// Alt.
    pub const ALT: i32 = 56;
    /// Equals.
    pub const EQUALS: i32 = 57;
}

/// Modifier bits carried in `opt` (as a numeric float) by `effEditKeyDown`/`effEditKeyUp`.
pub mod key_modifier {
    /// Shift.
    pub const SHIFT: i32 = 1;
    /// Alt.
    pub const ALTERNATE: i32 = 2;
    /// "Command" (Ctrl on Mac).
    pub const COMMAND: i32 = 4;
    /// "Control" (Ctrl on PC, Apple key on Mac).
    pub const CONTROL: i32 = 8;
}
