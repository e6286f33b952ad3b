// Tests for RTCDataChannel are added here.
