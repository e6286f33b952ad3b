// Tests for RTCSTUN are added here.
