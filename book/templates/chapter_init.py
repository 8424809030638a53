"""My chapter"""
