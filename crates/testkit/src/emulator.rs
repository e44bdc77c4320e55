//! A network emulator on virtual time: seeded loss, delay, reordering, duplication.
