// Tests for RTCSDP are added here.
