"""Files and folders that hold people's data (the SQLite database, the development outbox),
made readable by their owner only whatever the umask: with the usual 022, everyone on
the machine could read them."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def make_private_folder(path: Path) -> bool:
    """Make the folder `path` (its parent must exist) for its owner only; whether it was
    made. One that exists is left as it is."""
    try:
        path.mkdir(mode=PRIVATE_FOLDER)
    except FileExistsError:
        return False
    # The umask takes bits off mkdir's mode; a umask of 0277 would leave the owner unable
    # to write in it.
    os.chmod(path, PRIVATE_FOLDER)
    return True


def create_private_file(path: Path) -> int | None:
    """Create the file `path` for its owner only and open it for writing: its descriptor,
    or None if the file exists (then it is left as it is)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return None
    os.fchmod(descriptor, PRIVATE_FILE)  # whatever the umask took off
    return descriptor
