"""Printed documents every area shares: PDFs with Chinese text (pdf.py) and QR codes (qrcodes.py)."""
