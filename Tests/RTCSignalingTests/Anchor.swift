// Tests for RTCSignaling are added here.
