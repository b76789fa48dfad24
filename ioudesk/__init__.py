"""IOU Desk (欠条管家): customer IOU and loan management."""
