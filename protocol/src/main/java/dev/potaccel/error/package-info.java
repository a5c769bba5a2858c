/**
 * The error currency shared by every module: {@link dev.potaccel.error.PotaccelException} with an
 * {@link dev.potaccel.error.ErrorKind}; subclasses name one kind of bad input each.
 */
package dev.potaccel.error;
