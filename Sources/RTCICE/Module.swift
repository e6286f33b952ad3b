// RTCICE — see ARCHITECTURE.md. This file only anchors the module until its first real source lands.
